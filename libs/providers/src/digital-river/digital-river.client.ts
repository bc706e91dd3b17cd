import {
  type CallContext,
  type ListCustomersInput,
  type ProviderErrorDetails,
  type TaxIdentifier,
} from '@app/domain';
import {
  kindForStatus,
  parseRetryAfter,
  ProviderHttp,
  type ProviderRequest,
  type ProviderResponse,
} from '../shared/provider-http';
import { redactSecret } from '../shared/redact';
import { type DigitalRiverConfig } from './digital-river.config';
import { canonicalFieldOfDrParameter, type DrWritePlan } from './digital-river.mapper';
import { type DrCustomer, drErrorBodySchema } from './digital-river.schemas';

export const DIGITAL_RIVER = 'digital-river';

/**
 * Transport truth for one Digital River account: base URL, Bearer auth, optional version pinning
 * and error classification. Operation semantics live in the provider.
 */
export class DigitalRiverClient {
  readonly http: ProviderHttp;

  constructor(config: DigitalRiverConfig) {
    const versionHeader: Record<string, string> = config.apiVersion
      ? { 'DigitalRiver-Version': config.apiVersion }
      : {};
    this.http = new ProviderHttp({
      provider: DIGITAL_RIVER,
      account: config.account,
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      resilience: config,
      // `Authorization: Bearer <secret key>`
      // (https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers).
      authHeaders: () => ({ Authorization: `Bearer ${config.secretKey}` }),
      redactedAuthHeaders: () => ({ Authorization: `Bearer ${redactSecret(config.secretKey)}` }),
      headers: { Accept: 'application/json', ...versionHeader },
      requestIdHeader: 'x-dr-requestid',
      classify: classifyDigitalRiverError,
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
 * DR error bodies are `{type, errors:[{code, parameter?, message}]}` (DR's PHP SDK docs/Model/Errors.md).
 * The status decides the kind, except where DR's own `type` or code says more (a 400 whose type is
 * `request_timeout` is a timeout); `x-dr-requestid` is kept for support tickets.
 */
export function classifyDigitalRiverError(
  response: ProviderResponse,
): Omit<ProviderErrorDetails, 'provider' | 'account'> {
  const parsed = drErrorBodySchema.safeParse(response.body);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  let kind = kindForStatus(response.status);
  if (parsed.success) {
    const type = parsed.data.type;
    if (type === 'too_many_requests') kind = 'rate_limited';
    else if (type === 'unauthorized' || first?.code === 'api_key_expired') kind = 'auth';
    else if (type === 'request_timeout') kind = 'unavailable';
  } else if (kind === 'rejected' || kind === 'conflict' || kind === 'not_found') {
    // DR answered "no" but not in its documented shape: our parser or their API drifted.
    kind = 'bad_response';
  }
  const parameter = first?.parameter ?? undefined;
  const field = parameter === undefined ? undefined : canonicalFieldOfDrParameter(parameter);
  return {
    kind,
    status: response.status,
    providerCode: first?.code,
    providerMessage: first?.message ?? undefined,
    providerParameter: parameter,
    ...(field !== undefined ? { field } : {}),
    retryAfterMs:
      kind === 'rate_limited' || kind === 'unavailable'
        ? parseRetryAfter(response.headers['retry-after'])
        : undefined,
    providerRequestId: response.headers['x-dr-requestid'],
  };
}

// The requests of each call: paths, methods and bodies, built here so the provider only sequences them.

export const customerPath = (reference: string) => `/customers/${encodeURIComponent(reference)}`;

export function createRequest(plan: DrWritePlan): ProviderRequest {
  return { method: 'POST', path: '/customers', body: plan.body, idempotent: true };
}

export function getRequest(reference: string): ProviderRequest {
  return { method: 'GET', path: customerPath(reference), idempotent: true };
}

export function deleteRequest(reference: string): ProviderRequest {
  return { method: 'DELETE', path: customerPath(reference), idempotent: true };
}

/** DR updates with POST, not PUT or PATCH (DR's PHP SDK docs/Api/CustomersApi.md). */
export function updateRequest(reference: string, body: DrWritePlan['body']): ProviderRequest {
  return { method: 'POST', path: customerPath(reference), body, idempotent: true };
}

export function forgetRequest(reference: string): ProviderRequest {
  return updateRequest(reference, { requestToBeForgotten: true });
}

export function listRequest(input: ListCustomersInput): ProviderRequest {
  return {
    method: 'GET',
    path: '/customers',
    query: {
      limit: input.limit,
      startingAfter: input.startingAfter,
      endingBefore: input.endingBefore,
      email: input.email,
      ids: input.references,
      requestToBeForgotten: input.forgotten,
    },
    idempotent: true,
  };
}

/** Attaching (`POST`) and detaching (`DELETE`) a source share one path. */
export function sourceRequest(
  method: 'POST' | 'DELETE',
  reference: string,
  sourceId: string,
): ProviderRequest {
  return {
    method,
    path: `${customerPath(reference)}/sources/${encodeURIComponent(sourceId)}`,
    idempotent: true,
  };
}

/**
 * Tax identifiers are their own resource
 * (https://docs.digitalriver.com/digital-river-api/integration-options/checkouts/creating-checkouts/tax-identifiers).
 */
export function createTaxIdentifierRequest(taxIdentifier: TaxIdentifier): ProviderRequest {
  return {
    method: 'POST',
    path: '/tax-identifiers',
    body: { type: taxIdentifier.type, value: taxIdentifier.value },
    idempotent: false,
  };
}

export function getTaxIdentifierRequest(taxIdentifierId: string): ProviderRequest {
  return { method: 'GET', path: `/tax-identifiers/${encodeURIComponent(taxIdentifierId)}`, idempotent: true };
}

export function listTaxIdentifiersRequest(startingAfter: string | undefined): ProviderRequest {
  return { method: 'GET', path: '/tax-identifiers', query: { limit: 100, startingAfter }, idempotent: true };
}

/** A tax identifier id, or a dry run's `{placeholder}` for one only known once created. */
export function taxIdentifierSegment(taxIdentifierId: string): string {
  return taxIdentifierId.startsWith('{') ? taxIdentifierId : encodeURIComponent(taxIdentifierId);
}

export function attachTaxIdentifierRequest(reference: string, taxIdentifierId: string): ProviderRequest {
  const path = `${customerPath(reference)}/tax-identifiers/${taxIdentifierSegment(taxIdentifierId)}`;
  return { method: 'POST', path, idempotent: true };
}

export function deleteTaxIdentifierRequest(taxIdentifierId: string): ProviderRequest {
  return {
    method: 'DELETE',
    path: `/tax-identifiers/${taxIdentifierSegment(taxIdentifierId)}`,
    idempotent: true,
  };
}

/** One step of a write: a request, or a tax identifier added or removed (each takes several). */
export type Step =
  | { kind: 'request'; request: ProviderRequest; returnsCustomer: boolean; note?: string }
  | { kind: 'addTaxIdentifier'; taxIdentifier: TaxIdentifier }
  | { kind: 'removeTaxIdentifier'; taxIdentifier: TaxIdentifier };

/** Attaching (`POST`) and detaching (`DELETE`) a source share one path. */
export function sourceStep(method: 'POST' | 'DELETE', reference: string, sourceId: string): Step {
  return { kind: 'request', request: sourceRequest(method, reference, sourceId), returnsCustomer: false };
}

/**
 * After the customer exists: attach its sources, then make the default one default (DR only
 * accepts an attached source as default), then add tax identifiers. Anything `current` already
 * holds is skipped, so finishing a create that died halfway repeats nothing.
 */
export function createFollowUps(
  reference: string,
  plan: DrWritePlan,
  current: DrCustomer | undefined,
): Step[] {
  const heldSources = new Set((current?.sources ?? []).map((source) => source.id));
  const heldTaxes = current?.taxIdentifiers ?? [];
  const steps: Step[] = plan.attachSources
    .filter((id) => !heldSources.has(id))
    .map((id) => sourceStep('POST', reference, id));
  if (plan.defaultSourceIdAfterAttach && current?.defaultSourceId !== plan.defaultSourceIdAfterAttach) {
    steps.push({
      kind: 'request',
      request: updateRequest(reference, { defaultSourceId: plan.defaultSourceIdAfterAttach }),
      returnsCustomer: true,
      note: 'a source must be attached before it can be the default',
    });
  }
  for (const taxIdentifier of plan.addTaxIdentifiers) {
    if (!heldTaxes.some((tax) => tax.type === taxIdentifier.type && tax.value === taxIdentifier.value)) {
      steps.push({ kind: 'addTaxIdentifier', taxIdentifier });
    }
  }
  return steps;
}

/** New sources first (a new default must be attached), the partial update, then removals. */
export function updateSteps(reference: string, plan: DrWritePlan): Step[] {
  const steps: Step[] = plan.attachSources.map((id) => sourceStep('POST', reference, id));
  if (Object.keys(plan.body).length > 0) {
    steps.push({ kind: 'request', request: updateRequest(reference, plan.body), returnsCustomer: true });
  }
  steps.push(...plan.detachSources.map((id) => sourceStep('DELETE', reference, id)));
  steps.push(
    ...plan.removeTaxIdentifiers.map((taxIdentifier) => ({
      kind: 'removeTaxIdentifier' as const,
      taxIdentifier,
    })),
  );
  steps.push(
    ...plan.addTaxIdentifiers.map((taxIdentifier) => ({ kind: 'addTaxIdentifier' as const, taxIdentifier })),
  );
  return steps;
}

/** What the catch-up reader asks `GET /events` for. */
export interface DrEventQuery {
  limit: number;
  /** Older than this event id (the next page, newest first). */
  startingAfter?: string;
  /** Newer than this event id: the events just after it, still newest first. */
  endingBefore?: string;
  types?: readonly string[];
  /** `createdTime[gte]`: events created at or after this instant. */
  createdSince?: Date;
}

/**
 * `GET /events`: the last 30 days, newest first, cursors `startingAfter`/`endingBefore`, `types`
 * (fewer than 20) and `createdTime[gte]`
 * (https://docs.digitalriver.com/digital-river-api-reference/2021-02-23/events,
 * https://docs.digitalriver.com/digital-river-api/events-and-webhooks-1/events-1/return-a-list-of-all-events).
 */
export function listEventsRequest(query: DrEventQuery): ProviderRequest {
  return {
    method: 'GET',
    path: '/events',
    query: {
      limit: query.limit,
      startingAfter: query.startingAfter,
      endingBefore: query.endingBefore,
      types: query.types === undefined ? undefined : [...query.types],
      'createdTime[gte]': query.createdSince?.toISOString(),
    },
    idempotent: true,
  };
}
