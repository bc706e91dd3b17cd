import { type SecretKeyring } from '@app/secrets';

/** Where a sealed secret stands in a kept answer, in place of the plain text. */
const SEALED = '$sealed';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The context a kept answer's secret is sealed for: its own record, so no other can open it. */
const contextOf = (recordId: string) => `idempotency-answer:${recordId}`;

/**
 * An answer kept under an Idempotency-Key is replayed for as long as the key lives, so it is kept
 * whole, but a secret it shows (a webhook endpoint's new signing `secret`, shown this once) is
 * kept sealed like every other secret at rest (libs/secrets), and opened again only to replay it.
 */
export function sealAnswerSecret(keyring: SecretKeyring, body: unknown, recordId: string): unknown {
  if (!isObject(body) || typeof body['secret'] !== 'string') return body;
  return { ...body, secret: { [SEALED]: keyring.seal(body['secret'], contextOf(recordId)) } };
}

export function openAnswerSecret(keyring: SecretKeyring, body: unknown, recordId: string): unknown {
  if (!isObject(body) || !isObject(body['secret']) || typeof body['secret'][SEALED] !== 'string') return body;
  return { ...body, secret: keyring.open(body['secret'][SEALED], contextOf(recordId)) };
}
