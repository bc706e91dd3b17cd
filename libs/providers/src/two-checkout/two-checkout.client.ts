import { createHmac } from 'node:crypto';
import { type CallContext, type ProviderErrorDetails } from '@app/domain';
import {
  kindForStatus,
  parseRetryAfter,
  ProviderHttp,
  type ProviderRequest,
  type ProviderResponse,
} from '../shared/provider-http';
import { REDACTED } from '../shared/redact';
import { type TwoCheckoutConfig } from './two-checkout.config';
import { TCO_FIELD_TO_CANONICAL } from './two-checkout.mapper';
import { tcoErrorBodySchema, tcoErrorsBodySchema } from './two-checkout.schemas';

export const TWO_CHECKOUT = 'two-checkout';

/** `md5` only exists to check the legacy vectors; accounts sign with sha256 or sha3-256. */
export type TcoHashAlgorithm = 'md5' | 'sha256' | 'sha3-256';

/** The UTC request date 2CO signs: `YYYY-MM-DD HH:MM:SS`. */
export function tcoDate(now: Date): string {
  return now.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * HMAC over `len(code) + code + len(date) + date`, lower-case hex. Lengths are BYTE lengths, which
 * differ from string lengths for non-ASCII merchant codes
 * (https://verifone.cloud/docs/2checkout/API-Integration/01Start-using-the-2Checkout-API/2Checkout-API-general-information/API_Authentication).
 */
export function tcoHash(code: string, date: string, secretKey: string, algo: TcoHashAlgorithm): string {
  const message = `${Buffer.byteLength(code)}${code}${Buffer.byteLength(date)}${date}`;
  return createHmac(algo, secretKey).update(message, 'utf8').digest('hex');
}

/**
 * `X-Avangate-Authentication: code="…" date="…" hash="…" algo="sha256"`, signed for the date of
 * the attempt because the date is part of the signature (a clock skew shows up as 401).
 */
export function tcoAuthHeader(
  merchantCode: string,
  secretKey: string,
  algo: Exclude<TcoHashAlgorithm, 'md5'>,
  now: Date,
): string {
  const date = tcoDate(now);
  const hash = tcoHash(merchantCode, date, secretKey, algo);
  return `code="${merchantCode}" date="${date}" hash="${hash}" algo="${algo}"`;
}

/**
 * tcoAuthHeader for one account, signed once per second: the signature covers only the merchant
 * code and the date, to the second, so every request in that second carries the same header.
 * Signing anew for each call cost 0.1-0.15 ms (an HMAC key set up, a digest) on the path of
 * every create's 2Checkout call, which goes on the wire after Digital River's.
 */
export function tcoAuthHeaderSigner(
  merchantCode: string,
  secretKey: string,
  algo: Exclude<TcoHashAlgorithm, 'md5'>,
): (now: Date) => string {
  let signed = { date: '', header: '' };
  return (now) => {
    const date = tcoDate(now);
    if (date !== signed.date) signed = { date, header: tcoAuthHeader(merchantCode, secretKey, algo, now) };
    return signed.header;
  };
}

/** Transport truth for one 2Checkout account: URLs, HMAC auth and error classification. */
export class TwoCheckoutClient {
  readonly http: ProviderHttp;

  constructor(config: TwoCheckoutConfig) {
    const sign = tcoAuthHeaderSigner(config.merchantCode, config.secretKey, config.algo);
    this.http = new ProviderHttp({
      provider: TWO_CHECKOUT,
      account: config.account,
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      resilience: config,
      authHeaders: () => ({ 'X-Avangate-Authentication': sign(new Date()) }),
      redactedAuthHeaders: () => ({
        'X-Avangate-Authentication': `code="${config.merchantCode}" date="${tcoDate(new Date())}" hash="${REDACTED}" algo="${config.algo}"`,
      }),
      // The REST 6.0 OAS marks `Accept: application/json` as required.
      headers: { Accept: 'application/json' },
      classify: classifyTwoCheckoutError,
    });
  }

  send(request: ProviderRequest, context: CallContext): Promise<ProviderResponse> {
    return this.http.send(request, context);
  }

  close(): void {
    this.http.close();
  }
}

/**
 * 2CO documents no status table; the SDKs raise on any status >= 400 and read `{error_code,
 * message}` or `{Errors:[{ErrorCode, Message}]}`. The status decides the kind; an error code that
 * names authentication or a missing customer refines it.
 */
export function classifyTwoCheckoutError(
  response: ProviderResponse,
): Omit<ProviderErrorDetails, 'provider' | 'account'> {
  const single = tcoErrorBodySchema.safeParse(response.body);
  const list = tcoErrorsBodySchema.safeParse(response.body);
  let code: string | undefined;
  let message: string | undefined;
  if (single.success) {
    code = single.data.error_code;
    message = single.data.message ?? undefined;
  } else if (list.success) {
    code = list.data.Errors[0]?.ErrorCode ?? undefined;
    message = list.data.Errors[0]?.Message ?? undefined;
  }
  const understood = single.success || list.success;
  let kind = kindForStatus(response.status);
  if (code && /AUTHENTICATION|UNAUTHORI[SZ]ED|FORBIDDEN/i.test(code)) kind = 'auth';
  else if (code && /NOT_FOUND/i.test(code) && kind === 'rejected') kind = 'not_found';
  else if (!understood && (kind === 'rejected' || kind === 'conflict' || kind === 'not_found')) {
    // A refusal 2CO did not explain in any known shape: our parser or their API drifted.
    kind = 'bad_response';
  }
  const parameter = fieldNamedIn(message);
  const field = parameter === undefined ? undefined : TCO_FIELD_TO_CANONICAL[parameter];
  return {
    kind,
    status: response.status,
    providerCode: code,
    providerMessage: message,
    ...(parameter !== undefined ? { providerParameter: parameter } : {}),
    ...(field !== undefined ? { field } : {}),
    retryAfterMs:
      kind === 'rate_limited' || kind === 'unavailable'
        ? parseRetryAfter(response.headers['retry-after'])
        : undefined,
  };
}

/**
 * 2CO names the field only in its message ("LastName is required.", "Company is required when
 * FiscalCode is set.", `Email "x" is not a valid email address.`): the first CustomerInformation
 * field the message starts with.
 */
function fieldNamedIn(message: string | undefined): string | undefined {
  const first = /^\s*([A-Z][A-Za-z0-9]*)\b/.exec(message ?? '')?.[1];
  return first !== undefined && first in TCO_FIELD_TO_CANONICAL ? first : undefined;
}
