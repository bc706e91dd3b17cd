import http from 'node:http';
import https from 'node:https';
import {
  type CallContext,
  pathTemplate,
  ProviderError,
  recordProviderCall,
  type PlannedRequest,
  type ProviderErrorDetails,
} from '@app/domain';
import { traceHeaders, traceProviderCall } from '@app/telemetry';
import axios, { type AxiosInstance } from 'axios';
import { type z } from 'zod';
import { ResiliencePolicy, type ResilienceConfig } from './resilience';

export type HttpMethod = PlannedRequest['method'];

export interface ProviderRequest {
  method: HttpMethod;
  /** Path below the account's base URL, already URL-encoded. */
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** Safe to repeat after a timeout or reset (the provider may have processed the first try). */
  idempotent: boolean;
}

export interface ProviderResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON; `undefined` for an empty body. Untrusted: parse it with a schema. */
  body: unknown;
}

export interface ProviderHttpOptions {
  provider: string;
  account: string;
  baseUrl: string;
  timeoutMs: number;
  resilience: ResilienceConfig;
  /** Fresh auth headers for each attempt (2CO's signature embeds the current time). */
  authHeaders: () => Record<string, string>;
  /** The same headers with every secret replaced, for dry runs and logs. */
  redactedAuthHeaders: () => Record<string, string>;
  /** Static headers (content negotiation, API version pinning). */
  headers: Record<string, string>;
  /** Response header carrying the provider's request id, kept on errors for support tickets. */
  requestIdHeader?: string;
  /** Turns a non-2xx answer into the provider-specific error details (status table + body). */
  classify: (response: ProviderResponse) => Omit<ProviderErrorDetails, 'provider' | 'account'>;
}

/**
 * The transport every provider client shares: one axios instance per provider account with
 * keep-alive agents and a timeout, behind that account's rate limiter, retry policy and circuit
 * breaker. Every outcome is classified here exactly once: a 2xx answer or a ProviderError.
 *
 * Axios errors carry the request config, including the auth headers. They are never rethrown,
 * wrapped as a `cause`, or logged: only the derived, secret-free details leave this class.
 */
export class ProviderHttp {
  private readonly axios: AxiosInstance;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly policy: ResiliencePolicy;

  constructor(private readonly options: ProviderHttpOptions) {
    this.axios = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // We classify statuses ourselves and parse the body as untrusted text.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // Arrays as repeated keys (`ids=a&ids=b`), the form DR's SDK sends.
      paramsSerializer: { indexes: null },
      maxRedirects: 0,
      proxy: false,
    });
    this.policy = new ResiliencePolicy(options.resilience, {
      provider: options.provider,
      account: options.account,
    });
  }

  /**
   * Sends with retries; resolves with a 2xx response or throws a classified ProviderError. Every
   * attempt draws on the context's budget and is recorded to its audit sink.
   */
  async send(request: ProviderRequest, context: CallContext): Promise<ProviderResponse> {
    // Node writes a request to its socket on the next tick, which waits for every promise
    // continuation already queued: requests started together (a create's, one per provider) all
    // went on the wire only once the last of them was prepared, about 0.5 ms each here. Each one
    // is prepared in a turn of the event loop of its own instead, so it leaves as soon as it is
    // ready, and the next is prepared while it is under way.
    await new Promise(setImmediate);
    // Each attempt on the wire is a span of its own (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-client-retries-examples).
    const { provider, account, baseUrl } = this.options;
    const span = {
      provider,
      account,
      baseUrl,
      method: request.method,
      pathTemplate: pathTemplate(request.path),
    };
    return this.policy.execute(
      (heldMs) => traceProviderCall(span, () => this.attempt(request, context, heldMs)),
      {
        idempotent: request.idempotent,
        ...(context.budget === undefined ? {} : { budget: context.budget }),
      },
    );
  }

  /** Sends, then parses the body with `schema`; a body that does not fit is `bad_response`. */
  async sendFor<T>(request: ProviderRequest, schema: z.ZodType<T>, context: CallContext): Promise<T> {
    const response = await this.send(request, context);
    return this.parse(schema, response, request);
  }

  parse<T>(schema: z.ZodType<T>, response: ProviderResponse, request: ProviderRequest): T {
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
        .join('; ');
      throw this.error(
        { kind: 'bad_response', status: response.status },
        `${this.options.provider} ${request.method} ${request.path} answered an unexpected body (${where})`,
      );
    }
    return parsed.data;
  }

  /** What `send` would put on the wire, with secrets redacted. */
  plan(request: ProviderRequest, note?: string): PlannedRequest {
    return {
      method: request.method,
      url: this.axios.getUri({ url: request.path, params: request.query }),
      headers: {
        ...this.options.headers,
        ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...this.options.redactedAuthHeaders(),
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(note ? { note } : {}),
    };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  error(details: Omit<ProviderErrorDetails, 'provider' | 'account'>, message?: string): ProviderError {
    return new ProviderError(
      { ...details, provider: this.options.provider, account: this.options.account },
      message,
    );
  }

  /**
   * One try on the wire, recorded for the audit trail whatever its outcome; `heldMs` is how long
   * the budget and the account's limit held it back, which observers (metrics) are told.
   */
  private async attempt(
    request: ProviderRequest,
    context: CallContext,
    heldMs: number,
  ): Promise<ProviderResponse> {
    const started = performance.now();
    const base = {
      at: new Date(),
      provider: this.options.provider,
      account: this.options.account,
      method: request.method,
      path: pathTemplate(request.path),
    };
    try {
      const response = await this.exchange(request);
      recordProviderCall(
        {
          ...base,
          httpStatus: response.status,
          outcome: 'ok',
          durationMs: Math.round(performance.now() - started),
          providerRequestId: this.requestIdOf(response.headers),
        },
        context,
        heldMs,
      );
      return response;
    } catch (error) {
      const failed = error instanceof ProviderError ? error : undefined;
      recordProviderCall(
        {
          ...base,
          httpStatus: failed?.status,
          outcome: failed?.kind ?? 'unavailable',
          durationMs: Math.round(performance.now() - started),
          providerRequestId: failed?.providerRequestId,
          providerCode: failed?.providerCode,
        },
        context,
        heldMs,
      );
      throw error;
    }
  }

  private requestIdOf(headers: Record<string, string>): string | undefined {
    return this.options.requestIdHeader ? headers[this.options.requestIdHeader] : undefined;
  }

  private async exchange(request: ProviderRequest): Promise<ProviderResponse> {
    let raw: { status: number; headers: Record<string, unknown>; data: unknown };
    try {
      raw = await this.axios.request({
        method: request.method,
        url: request.path,
        params: request.query,
        data: request.body === undefined ? undefined : JSON.stringify(request.body),
        headers: {
          ...this.options.headers,
          // `false` stops axios defaulting a body-less POST to form-urlencoded, which DR refuses (415).
          'Content-Type': request.body === undefined ? false : 'application/json',
          ...this.options.authHeaders(),
          // The attempt's span as the provider's parent (W3C trace context); none with tracing off.
          ...traceHeaders(),
        },
      });
    } catch (error) {
      throw this.error({ kind: 'unavailable' }, this.transportMessage(request, error));
    }
    const headers = normaliseHeaders(raw.headers);
    const text = typeof raw.data === 'string' ? raw.data : '';
    let body: unknown = undefined;
    let malformed = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        malformed = true;
      }
    }
    const response: ProviderResponse = { status: raw.status, headers, body };
    if (raw.status >= 200 && raw.status < 300) {
      if (malformed) {
        throw this.error(
          {
            kind: 'bad_response',
            status: raw.status,
            providerRequestId: this.options.requestIdHeader
              ? headers[this.options.requestIdHeader]
              : undefined,
          },
          `${this.options.provider} ${request.method} ${request.path} answered ${raw.status} with a body that is not JSON`,
        );
      }
      return response;
    }
    const details = this.options.classify(response);
    throw this.error(
      details,
      `${this.options.provider} ${request.method} ${request.path} failed: ${raw.status} ${details.kind}` +
        (details.providerCode ? ` (${details.providerCode})` : ''),
    );
  }

  /** A message naming what failed (code only), never the axios error's config or headers. */
  private transportMessage(request: ProviderRequest, error: unknown): string {
    const code = axios.isAxiosError(error) ? error.code : undefined;
    const reason =
      code === 'ECONNABORTED' || code === 'ETIMEDOUT'
        ? `timed out after ${this.options.timeoutMs}ms`
        : `no answer (${code ?? 'network error'})`;
    return `${this.options.provider} ${request.method} ${request.path}: ${reason}`;
  }
}

function normaliseHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
    else if (Array.isArray(value)) out[name.toLowerCase()] = value.join(', ');
    else if (typeof value === 'number') out[name.toLowerCase()] = String(value);
  }
  return out;
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The status table both providers start from; each client then refines it with its own error
 * body (a provider code may say more than the status).
 */
export function kindForStatus(status: number): ProviderErrorDetails['kind'] {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'unavailable';
  if (status >= 400) return 'rejected';
  return 'bad_response';
}
