/**
 * Digital River's webhooks as the sandbox sends them. Each event whose type an enabled endpoint
 * subscribes to is POSTed to it as the Event JSON
 * (https://developers.digitalriver.com/api-reference/webhooks), signed in a `DigitalRiver-Signature`
 * header built from every active signing secret of the endpoint: when a secret is rotated the old
 * one stays active for 12 hours, and every attempt, retries included, gets a new timestamp and
 * signature (https://docs.digitalriver.com/digital-river-api/events-and-webhooks-1/webhooks/digital-river-signature).
 *
 * Header format: `t=<unix seconds>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, one `v0=` per
 * active secret, newest first. DR's page above says the header holds a timestamp and request
 * signatures per active secret; its "verify signatures manually" page, which spells out the
 * scheme, was not in reach here, so the scheme is the timestamped HMAC DR's page describes in the
 * layout Stripe uses (which DR's event model follows): a verifier accepts the request when any
 * `v0` matches any of its secrets and `t` is recent enough.
 *
 * A non-2xx answer (or none) counts as a failure; test mode retries 3 times
 * (https://docs.digitalriver.com/digital-river-api/general-resources/api-structure, "Webhooks").
 * Deliveries run in the background, never inside the API call that raised the event.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { type DigitalRiverEvent } from './digital-river.events';

/** How long a rotated-out secret still signs (DR: 12 hours). */
export const DEFAULT_ROTATION_OVERLAP_MS = 12 * 3_600_000;
/** Retries after the first attempt, in test mode. */
export const TEST_MODE_RETRIES = 3;
export const SIGNATURE_HEADER = 'DigitalRiver-Signature';

export interface WebhookEndpointInput {
  url: string;
  /** Event types to send; `*` or absent: all. */
  types?: string[];
  /** The signing secret; a random one when absent. */
  secret?: string;
  /** Off: nothing is sent to this endpoint. Default on. */
  enabled?: boolean;
}

export interface WebhookEndpointView {
  id: string;
  url: string;
  types: string[];
  enabled: boolean;
  /** The current signing secret (the admin API shows it; DR's Dashboard does too). */
  secret: string;
}

export interface WebhookDeliveryAttempt {
  endpointId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  /** The `t=` of the header sent. */
  timestamp: number;
  signatureHeader: string;
  /** HTTP status answered, or undefined when the request failed without one. */
  status?: number;
  at: string;
}

interface SigningSecret {
  value: string;
  /** When a rotated-out secret stops signing; undefined while current. */
  expiresMs?: number;
}

interface Endpoint {
  id: string;
  url: string;
  types: string[];
  enabled: boolean;
  secrets: SigningSecret[];
}

/** `t=<seconds>,v0=<hex>[,v0=<hex>…]` over `"<t>.<body>"`, one `v0` per secret. */
export function signDigitalRiverPayload(
  body: string,
  secrets: readonly string[],
  timestampSeconds: number,
): string {
  const signatures = secrets.map(
    (secret) => `v0=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`,
  );
  return [`t=${timestampSeconds}`, ...signatures].join(',');
}

export function newSigningSecret(): string {
  return randomBytes(24).toString('hex');
}

export class DigitalRiverWebhooks {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly log: WebhookDeliveryAttempt[] = [];
  private sending = true;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: { retryDelayMs: number; timeoutMs: number }) {}

  register(input: WebhookEndpointInput): WebhookEndpointView {
    const endpoint: Endpoint = {
      id: randomUUID(),
      url: input.url,
      types: input.types ?? ['*'],
      enabled: input.enabled ?? true,
      secrets: [{ value: input.secret ?? newSigningSecret() }],
    };
    this.endpoints.set(endpoint.id, endpoint);
    return view(endpoint);
  }

  /**
   * Makes `secret` (or a random one) the endpoint's current secret; the previous one keeps signing
   * for `overlapMs` (DR: 12 hours). Undefined when the endpoint is unknown.
   */
  rotate(id: string, secret?: string, overlapMs = DEFAULT_ROTATION_OVERLAP_MS, nowMs = Date.now()) {
    const endpoint = this.endpoints.get(id);
    if (endpoint === undefined) return undefined;
    for (const old of endpoint.secrets)
      old.expiresMs = Math.min(old.expiresMs ?? Infinity, nowMs + overlapMs);
    endpoint.secrets.unshift({ value: secret ?? newSigningSecret() });
    return view(endpoint);
  }

  remove(id: string): boolean {
    return this.endpoints.delete(id);
  }

  list(): WebhookEndpointView[] {
    return [...this.endpoints.values()].map(view);
  }

  /** Turns sending on or off for every endpoint (events are still recorded for the Events API). */
  setSending(enabled: boolean): void {
    this.sending = enabled;
  }

  get sendingEnabled(): boolean {
    return this.sending;
  }

  /** Every attempt made, oldest first. */
  deliveries(): WebhookDeliveryAttempt[] {
    return this.log.map((attempt) => ({ ...attempt }));
  }

  /** Forgets the delivery log; endpoints and secrets stay (they are configuration, like faults). */
  resetLog(): void {
    this.log.length = 0;
  }

  /** Resolves once every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Queues `event` for every subscribed endpoint; returns at once. */
  publish(event: DigitalRiverEvent): void {
    if (!this.sending) return;
    const body = JSON.stringify(event);
    for (const endpoint of this.endpoints.values()) {
      if (!endpoint.enabled || !subscribes(endpoint, event.type)) continue;
      const delivery = this.deliver(endpoint, event, body).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async deliver(endpoint: Endpoint, event: DigitalRiverEvent, body: string): Promise<void> {
    // Never inside the API call: the first attempt waits for the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    for (let attempt = 1; attempt <= 1 + TEST_MODE_RETRIES; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      const nowMs = Date.now();
      endpoint.secrets = endpoint.secrets.filter((s) => s.expiresMs === undefined || s.expiresMs > nowMs);
      const timestamp = Math.floor(nowMs / 1000);
      const signatureHeader = signDigitalRiverPayload(
        body,
        endpoint.secrets.map((s) => s.value),
        timestamp,
      );
      const status = await this.post(endpoint.url, body, signatureHeader);
      this.log.push({
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        attempt,
        timestamp,
        signatureHeader,
        ...(status === undefined ? {} : { status }),
        at: new Date(nowMs).toISOString(),
      });
      if (status !== undefined && status >= 200 && status < 300) return;
    }
  }

  private async post(url: string, body: string, signature: string): Promise<number | undefined> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return undefined;
    }
  }
}

function subscribes(endpoint: Endpoint, type: string): boolean {
  return endpoint.types.some(
    (t) => t === '*' || t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))),
  );
}

function view(endpoint: Endpoint): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    types: [...endpoint.types],
    enabled: endpoint.enabled,
    secret: (endpoint.secrets[0] as SigningSecret).value,
  };
}
