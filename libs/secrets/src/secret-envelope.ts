import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** One key of the keyring: AES-256 needs 32 bytes. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
/** NIST SP 800-38D §8.2: a 96-bit random IV per encryption under one key. */
const IV_BYTES = 12;
const FORMAT = 'v1';

/**
 * The key every development and test gateway shares when SECRETS_ENCRYPTION_KEYS is unset (never in
 * production): secrets are still not stored in the clear, but anyone with this source can open them.
 */
export const DEVELOPMENT_ENCRYPTION_KEYS = `development:${createHash('sha256')
  .update('customer-sync-gateway development secrets key; never for production')
  .digest('base64')}`;

/**
 * `SECRETS_ENCRYPTION_KEYS`: comma-separated `<key id>:<32 bytes in base64>`, the first one
 * encrypting, every one decrypting (so a key can be rotated: put the new one first, restart, the
 * gateway re-encrypts, then drop the old one). Throws with a message naming what is wrong; the
 * keys themselves never appear in it.
 */
export function parseEncryptionKeys(raw: string): EncryptionKey[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('give at least one "<key id>:<base64 key>"');
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    if (!KEY_ID.test(id)) {
      throw new Error(
        `key ${index + 1}: expected "<key id>:<base64 key>", the id 1-32 letters, digits, "_" or "-"`,
      );
    }
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`key "${id}": must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    }
    return { id, key };
  });
  const ids = new Set(keys.map((key) => key.id));
  if (ids.size !== keys.length) throw new Error('key ids must be distinct');
  return keys;
}

/**
 * Envelope encryption of secrets at rest: AES-256-GCM (authenticated, so a changed ciphertext or
 * one moved to another record fails to open) under the keyring's current key, the key id written
 * beside the ciphertext so older keys still open what they sealed until it is re-sealed.
 * `context` is bound as additional authenticated data: the record the secret belongs to.
 */
export class SecretKeyring {
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(keys: readonly EncryptionKey[]) {
    const [current] = keys;
    if (current === undefined) throw new Error('a keyring needs at least one key');
    this.current = current;
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  static parse(raw: string): SecretKeyring {
    return new SecretKeyring(parseEncryptionKeys(raw));
  }

  /** The id of the key new secrets are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** `v1:<key id>:<iv>:<tag>:<ciphertext>`, base64url. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.current.id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  /** The key id a sealed value was sealed with. */
  keyIdOf(sealed: string): string {
    return sealed.split(':')[1] ?? '';
  }

  /** Throws when the value was changed, sealed for another context, or under a key not in the ring. */
  open(sealed: string, context: string): string {
    const [format, keyId, iv, tag, ciphertext] = sealed.split(':');
    if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('not a sealed secret');
    }
    const key = this.byId.get(keyId ?? '');
    if (key === undefined)
      throw new Error(`sealed with key "${keyId}", which SECRETS_ENCRYPTION_KEYS no longer holds`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
