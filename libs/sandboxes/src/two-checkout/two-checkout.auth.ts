import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * 2Checkout REST 6.0 authentication: the `X-Avangate-Authentication` header
 * `code="{MERCHANT_CODE}" date="{YYYY-MM-DD HH:MM:SS UTC}" hash="{HEX}" algo="{ALGO}"`
 * (docs.2checkout.com api-reference/reference/authentication; docs/providers/two-checkout.md#authentication).
 *
 * The hash is an HMAC, keyed with the account's secret key, of
 * `byteLength(code) + code + byteLength(date) + date`, in lower-case hex.
 */
export type AvangateAlgo = 'sha256' | 'sha3-256' | 'md5';

export interface AvangateSignInput {
  code: string;
  secretKey: string;
  /** A Date (formatted in UTC) or an already formatted `YYYY-MM-DD HH:MM:SS`; default now. */
  date?: Date | string;
  /** Default `sha256`, what every current official SDK sends. `md5` omits `algo` (legacy). */
  algo?: AvangateAlgo;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the only date format the header takes. */
export function formatAvangateDate(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** The hex HMAC over the length-prefixed code and date; lengths are UTF-8 byte lengths. */
export function avangateHash(code: string, secretKey: string, date: string, algo: AvangateAlgo): string {
  const message = `${Buffer.byteLength(code)}${code}${Buffer.byteLength(date)}${date}`;
  return createHmac(algo, secretKey).update(message, 'utf8').digest('hex');
}

/** Builds the header value, double-quoted as the docs show it. */
export function signAvangateAuthentication(input: AvangateSignInput): string {
  const date = typeof input.date === 'string' ? input.date : formatAvangateDate(input.date ?? new Date());
  const algo = input.algo ?? 'sha256';
  const hash = avangateHash(input.code, input.secretKey, date, algo);
  const base = `code="${input.code}" date="${date}" hash="${hash}"`;
  return algo === 'md5' ? base : `${base} algo="${algo}"`;
}

const HEADER_PAIR = /([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parses `key="value"` / `key='value'` pairs, with or without whitespace between them: REST 4.0/5.0
 * docs allow single quotes, 2checkout-node(-sdk) sends them, and the .NET and node SDKs emit no
 * space before `algo=` (docs/providers/two-checkout.md#authentication "Header parsing quirks").
 */
export function parseAvangateAuthentication(header: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // A reused global regex with exec() avoids matchAll's iterator: this runs on every request.
  HEADER_PAIR.lastIndex = 0;
  for (let match = HEADER_PAIR.exec(header); match !== null; match = HEADER_PAIR.exec(header)) {
    fields[(match[1] ?? '').toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  return fields;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Parses the header date as UTC; NaN when it is not a real `YYYY-MM-DD HH:MM:SS` instant. */
export function parseAvangateDate(date: string): number {
  const m = DATE_PATTERN.exec(date);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Reject days past the month's end (Feb 30) instead of letting Date roll them over.
  return new Date(ms).getUTCDate() === d ? ms : NaN;
}

export interface AvangateVerifyOptions {
  /** Merchant code -> secret key. */
  merchants: ReadonlyMap<string, string>;
  /** Largest accepted |server time - header date|; undocumented by 2CO (docs/providers/two-checkout.md#authentication). */
  skewSeconds: number;
  /** Accept a header without `algo` as legacy HMAC-MD5 (being decommissioned; docs/providers/two-checkout.md#authentication). */
  allowMd5: boolean;
  nowMs?: number;
}

export type AvangateVerifyResult = { ok: true; merchantCode: string } | { ok: false; message: string };

/** Verifies a header exactly: every request recomputes the HMAC, nothing is cached. */
export function verifyAvangateAuthentication(
  header: string | undefined,
  options: AvangateVerifyOptions,
): AvangateVerifyResult {
  if (header === undefined || header === '') {
    return { ok: false, message: 'Authentication needed: X-Avangate-Authentication header is missing.' };
  }
  const fields = parseAvangateAuthentication(header);
  const { code, date, hash } = fields;
  if (code === undefined || date === undefined || hash === undefined) {
    return {
      ok: false,
      message: 'Malformed X-Avangate-Authentication header: code, date and hash are required.',
    };
  }
  let algo: AvangateAlgo;
  if (fields['algo'] === undefined) {
    if (!options.allowMd5)
      return { ok: false, message: 'MD5 authentication is disabled: send algo="sha256" or algo="sha3-256".' };
    algo = 'md5';
  } else if (fields['algo'] === 'sha256' || fields['algo'] === 'sha3-256') {
    algo = fields['algo'];
  } else {
    return { ok: false, message: `Unsupported algo "${fields['algo']}": use sha256 or sha3-256.` };
  }
  const secretKey = options.merchants.get(code);
  if (secretKey === undefined) return { ok: false, message: 'Unknown merchant code.' };
  const dateMs = parseAvangateDate(date);
  if (Number.isNaN(dateMs))
    return { ok: false, message: 'Invalid date: expected UTC "YYYY-MM-DD HH:MM:SS".' };
  const skewMs = Math.abs((options.nowMs ?? Date.now()) - dateMs);
  if (skewMs > options.skewSeconds * 1000) {
    return { ok: false, message: `Date is outside the accepted window of ${options.skewSeconds} seconds.` };
  }
  const expected = Buffer.from(avangateHash(code, secretKey, date, algo), 'utf8');
  const given = Buffer.from(hash.toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, message: 'Hash mismatch.' };
  }
  return { ok: true, merchantCode: code };
}
