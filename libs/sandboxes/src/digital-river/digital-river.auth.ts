import { type AuthOutcome, type SandboxRequest } from '../shared/sandbox-server';
import { drErrorResponse } from './digital-river.errors';

/**
 * DR authenticates with `Authorization: Bearer <secret key>`; `sk_test_` keys are test mode and
 * plain `sk_` keys are live mode; there is no `sk_live_` prefix (developers.digitalriver.com
 * api-reference/authentication, quoted in DR's PHP SDK lib/ObjectSerializer.php; docs/providers/digital-river.md#transport-and-authentication).
 */
export interface DigitalRiverPrincipal {
  secretKey: string;
  liveMode: boolean;
}

export const DEFAULT_DIGITAL_RIVER_SECRET_KEY = 'sk_test_5ad0c0ffee5ad0c0ffee5ad0c0ffee00';

export function isTestKey(key: string): boolean {
  return key.startsWith('sk_test_');
}

/** Rejects configured keys the real API could never issue, so a typo fails at start-up, not in a test. */
export function assertSecretKeyFormat(key: string): void {
  if (!/^sk_[A-Za-z0-9_]+$/.test(key) || key === 'sk_test_') {
    throw new Error(`Digital River secret keys start with "sk_test_" (test) or "sk_" (live); got "${key}"`);
  }
}

function unauthorized(message: string): AuthOutcome<DigitalRiverPrincipal> {
  // The exact 401 body is undocumented (docs/providers/digital-river.md#errors); this uses the documented shape and type.
  return { ok: false, response: drErrorResponse(401, 'unauthorized', [{ code: 'unauthorized', message }]) };
}

export function authenticateDigitalRiver(
  request: SandboxRequest,
  validKeys: ReadonlySet<string>,
): AuthOutcome<DigitalRiverPrincipal> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return unauthorized('Missing Authorization header.');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const key = match?.[1];
  if (key === undefined) return unauthorized('Authorization header must be "Bearer <secret key>".');
  // Every request is checked against the configured key set: nothing is cached per connection.
  if (!validKeys.has(key)) return unauthorized('Invalid API key.');
  return { ok: true, principal: { secretKey: key, liveMode: !isTestKey(key) } };
}
