import { ConfigError, loadGatewayConfig, secretKeyring } from './gateway.config';

describe('SECRETS_ENCRYPTION_KEYS', () => {
  const keys = `2026-12:${Buffer.alloc(32, 1).toString('base64')}`;

  it('is required in production', () => {
    const config = loadGatewayConfig({ NODE_ENV: 'production' });
    expect(() => secretKeyring(config)).toThrow(ConfigError);
    expect(() => secretKeyring(config)).toThrow(/SECRETS_ENCRYPTION_KEYS: required in production/);
    expect(
      secretKeyring(loadGatewayConfig({ NODE_ENV: 'production', SECRETS_ENCRYPTION_KEYS: keys }))
        .currentKeyId,
    ).toBe('2026-12');
  });

  it('falls back to the development key outside production', () => {
    expect(secretKeyring(loadGatewayConfig({ NODE_ENV: 'development' })).currentKeyId).toBe('development');
  });

  it('names the variable when a key is malformed, never echoing it', () => {
    const raw = `k1:${Buffer.alloc(16, 1).toString('base64')}`;
    expect(() => loadGatewayConfig({ SECRETS_ENCRYPTION_KEYS: raw })).toThrow(
      /SECRETS_ENCRYPTION_KEYS: key "k1": must be 32 bytes/,
    );
    try {
      loadGatewayConfig({ SECRETS_ENCRYPTION_KEYS: raw });
    } catch (error) {
      expect((error as Error).message).not.toContain(raw.slice(3));
    }
  });
});
