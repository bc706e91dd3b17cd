import { DEVELOPMENT_ENCRYPTION_KEYS, parseEncryptionKeys, SecretKeyring } from './secret-envelope';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('SecretKeyring (secrets sealed at rest)', () => {
  const ring = SecretKeyring.parse(`k2:${key(2)},k1:${key(1)}`);

  it('seals with the first key, randomly, and opens what it sealed', () => {
    const sealed = ring.seal('whsec_top-secret', 'webhook-endpoint:we_1#1');
    expect(sealed).toMatch(/^v1:k2:[\w-]+:[\w-]+:[\w-]+$/);
    expect(sealed).not.toContain('top-secret');
    expect(ring.seal('whsec_top-secret', 'webhook-endpoint:we_1#1')).not.toBe(sealed);
    expect(ring.keyIdOf(sealed)).toBe('k2');
    expect(ring.open(sealed, 'webhook-endpoint:we_1#1')).toBe('whsec_top-secret');
  });

  it('opens what an older key of the ring sealed, and refuses a key it no longer holds', () => {
    const old = SecretKeyring.parse(`k1:${key(1)}`).seal('old secret', 'owner#1');
    expect(ring.open(old, 'owner#1')).toBe('old secret');
    const retired = SecretKeyring.parse(`k0:${key(9)}`).seal('older', 'owner#1');
    expect(() => ring.open(retired, 'owner#1')).toThrow(
      /key "k0", which SECRETS_ENCRYPTION_KEYS no longer holds/,
    );
  });

  it('refuses a value sealed for another record, or changed in any byte', () => {
    const sealed = ring.seal('secret', 'webhook-endpoint:we_1#1');
    expect(() => ring.open(sealed, 'webhook-endpoint:we_2#1')).toThrow();
    const parts = sealed.split(':');
    const ciphertext = Buffer.from(parts[4]!, 'base64url');
    ciphertext[0] = ciphertext[0]! ^ 1;
    parts[4] = ciphertext.toString('base64url');
    expect(() => ring.open(parts.join(':'), 'webhook-endpoint:we_1#1')).toThrow();
    expect(() => ring.open('secret', 'webhook-endpoint:we_1#1')).toThrow('not a sealed secret');
  });

  it.each([
    ['', 'at least one'],
    ['nokey', 'key 1: expected'],
    [`bad id!:${key(1)}`, 'key 1: expected'],
    ['short:c2hvcnQ=', 'key "short": must be 32 bytes'],
    [`a:${key(1)},a:${key(2)}`, 'distinct'],
  ])('refuses SECRETS_ENCRYPTION_KEYS=%j, saying why without the key', (raw, message) => {
    expect(() => parseEncryptionKeys(raw)).toThrow(message);
    try {
      parseEncryptionKeys(raw);
    } catch (error) {
      expect((error as Error).message).not.toContain(key(1));
    }
  });

  it('has a development keyring that parses', () => {
    expect(SecretKeyring.parse(DEVELOPMENT_ENCRYPTION_KEYS).currentKeyId).toBe('development');
  });
});
