import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type API_KEY_SCOPES } from '@app/config';

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Who is calling: the id of the API key they presented and what it may do. */
export interface Principal {
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

interface StoredKey {
  id: string;
  scopes: readonly ApiKeyScope[];
  digest: Buffer;
}

/** One-shot (https://nodejs.org/docs/latest-v24.x/api/crypto.html#cryptohashalgorithm-data-options): no Hash object per request. */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * `admin` may do everything and `customers:write` includes reading, as with Stripe's restricted
 * keys: a caller that may change a customer may also see it. Nothing but `admin` includes
 * `customers:erase`.
 */
export function hasScope(principal: Principal, required: ApiKeyScope): boolean {
  if (principal.scopes.includes('admin')) return true;
  if (required === 'customers:read' && principal.scopes.includes('customers:write')) return true;
  return principal.scopes.includes(required);
}

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is hashed and compared
 * against every stored digest in constant time, so neither the answer nor its timing tells which
 * key came close.
 */
export class ApiKeyRegistry {
  private readonly keys: StoredKey[];

  constructor(
    keys: readonly { id: string; scopes: readonly ApiKeyScope[]; key?: string; sha256?: string }[],
  ) {
    const ids = new Set<string>();
    this.keys = keys.map((k) => {
      if (ids.has(k.id)) throw new Error(`API key id "${k.id}" is configured twice`);
      ids.add(k.id);
      const digest = k.key !== undefined ? sha256(k.key) : Buffer.from(k.sha256 ?? '', 'hex');
      if (digest.length !== 32) throw new Error(`API key "${k.id}" needs a key or a 64-hex-digit sha256`);
      return { id: k.id, scopes: [...new Set(k.scopes)], digest };
    });
  }

  authenticate(presented: string): Principal | undefined {
    const digest = sha256(presented);
    let match: StoredKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest) && match === undefined) match = key;
    }
    return match && { keyId: match.id, scopes: match.scopes };
  }
}

/** The development key's file in the data directory. */
export const DEVELOPMENT_KEY_FILE = 'dev-api-key';

/**
 * The embedded default needs no configuration, so it makes one admin key on first start and keeps
 * it in the data directory: the same key keeps working across restarts, and it never leaves the
 * machine except when printed to the operator's own terminal.
 */
export async function loadOrCreateDevelopmentKey(dataDir: string): Promise<string> {
  const file = join(dataDir, DEVELOPMENT_KEY_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 24) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `csg_dev_${randomBytes(24).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return key;
}
