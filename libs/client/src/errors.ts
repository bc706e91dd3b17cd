/** One field the gateway refused, as its problem+json lists them. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** The gateway's RFC 9457 problem+json body (every error it answers has this shape). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  /** Whether sending the same request again later may succeed; the client's retries follow it. */
  retryable?: boolean;
  errors?: FieldProblem[];
  requestId?: string;
  instance?: string;
  provider?: string;
  account?: string;
  providerCode?: string;
  providerMessage?: string;
  /** `customer_gone`: when the customer was deleted. */
  deletedAt?: string;
  /** `customer_gone`: what each provider account still holds. */
  providers?: TombstoneProvider[];
}

/** One provider account of a deleted customer: what it still holds (`remaining`, `[]` for nothing). */
export interface TombstoneProvider {
  provider: string;
  account: string;
  outcome: string;
  /** Canonical field names, `sources` (payment sources' owners), `*` (the delete there is not confirmed). */
  remaining: string[];
}

/**
 * Every failure the client reports: a problem+json answer from the gateway (after any retries), or
 * status 0 when no answer came: `network_error` (the gateway could not be reached), `timeout` (the
 * call's deadline passed) or `aborted` (the caller's AbortSignal fired). Branch on `code`; quote
 * `requestId` to operators.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** Whether the same request may succeed later (the client already retried it as configured). */
  readonly retryable: boolean;
  readonly errors: FieldProblem[];
  readonly requestId: string | undefined;
  readonly problem: Problem;

  constructor(status: number, problem: Problem, options?: { cause?: unknown }) {
    const code = problem.code ?? `http_${status}`;
    const detail = problem.detail ?? problem.title ?? `The gateway answered ${status}.`;
    super(`${code}: ${detail}`, options);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryable = problem.retryable ?? false;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
    this.problem = problem;
  }

  /** From a non-2xx answer; a body that is not problem+json still gives status and code. */
  static async fromResponse(response: Response): Promise<GatewayError> {
    const text = await response.text();
    let problem: Problem = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') problem = parsed;
    } catch {
      problem = { detail: text.slice(0, 500) || undefined };
    }
    problem.requestId ??= response.headers.get('x-request-id') ?? undefined;
    if (response.status === 410 && problem.code === 'customer_gone') return new CustomerGoneError(problem);
    return new GatewayError(response.status, problem);
  }

  static network(error: unknown): GatewayError {
    const detail = error instanceof Error ? error.message : String(error);
    return new GatewayError(0, { code: 'network_error', detail, retryable: true }, { cause: error });
  }
}

/**
 * 410 `customer_gone`: the customer was deleted. Until the gateway's tombstone retention ends it
 * says when, and what each provider still holds; after it the gateway answers 404.
 */
export class CustomerGoneError extends GatewayError {
  readonly deletedAt: string;
  readonly providers: TombstoneProvider[];

  constructor(problem: Problem) {
    super(410, problem);
    this.deletedAt = problem.deletedAt ?? '';
    this.providers = problem.providers ?? [];
  }
}
