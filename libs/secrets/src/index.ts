/**
 * Secrets at rest: envelope encryption (AES-256-GCM) under keys from configuration, with a key id
 * on every sealed value so keys can rotate. No I/O, so configuration can check the keys at start-up
 * and persistence can seal and open what it stores, without either importing the other.
 */
export {
  DEVELOPMENT_ENCRYPTION_KEYS,
  parseEncryptionKeys,
  SecretKeyring,
  type EncryptionKey,
} from './secret-envelope';
