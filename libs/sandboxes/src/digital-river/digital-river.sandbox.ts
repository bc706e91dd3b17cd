import { randomUUID } from 'node:crypto';
import { registerAdminRoutes } from '../shared/admin-routes';
import { type SandboxRequest, SandboxServer } from '../shared/sandbox-server';
import {
  type ProviderSandbox,
  type RunningSandbox,
  type SandboxAdmin,
  type SandboxOptions,
} from '../shared/types';
import {
  assertSecretKeyFormat,
  authenticateDigitalRiver,
  DEFAULT_DIGITAL_RIVER_SECRET_KEY,
  type DigitalRiverPrincipal,
  isTestKey,
} from './digital-river.auth';
import { drErrorForStatus, drNotFound, drRateLimited } from './digital-river.errors';
import {
  DEFAULT_ERASURE_AFTER_READS,
  DigitalRiverOperations,
  type SourceOptions,
} from './digital-river.operations';
import { publicTaxIdentifier } from './digital-river.tax-identifiers';
import { DigitalRiverEvents, type DigitalRiverEvent, previousAttributes } from './digital-river.events';
import {
  DigitalRiverWebhooks,
  type WebhookDeliveryAttempt,
  type WebhookEndpointInput,
  type WebhookEndpointView,
} from './digital-river.webhooks';
import { registerWebhookAdminRoutes } from './digital-river.webhook-admin';
import {
  type DigitalRiverCustomer,
  type DigitalRiverSource,
  type DigitalRiverTaxIdentifier,
} from './digital-river.types';

export interface DigitalRiverSandboxOptions extends SandboxOptions {
  /**
   * Secret keys the sandbox accepts. `sk_test_…` keys are test mode, plain `sk_…` keys live mode
   * (docs/providers/digital-river.md#transport-and-authentication). Default: one fixed test key, returned as `secretKey`.
   */
  secretKeys?: string[];
  /** `rateLimitPerSecond` applies to test keys (default 25/s); this one to live keys (default 250/s). */
  liveRateLimitPerSecond?: number;
  /**
   * DR erases a forgotten customer's personal data asynchronously, some time after
   * `requestToBeForgotten: true` is recorded. The sandbox erases it on the `afterReads`-th read of
   * the customer after the request (default 2: the read right after the request still shows the
   * data) or once `afterMs` have passed (default: never by time alone), whichever comes first.
   */
  forgetErasure?: { afterReads?: number; afterMs?: number };
  /** Wait between a failed webhook attempt and its retry (default 1000 ms; DR waits longer). */
  webhookRetryDelayMs?: number;
  /** How long one webhook attempt may take before it counts as failed (default 5000 ms). */
  webhookTimeoutMs?: number;
}

export interface DigitalRiverSandboxAdmin extends SandboxAdmin<DigitalRiverCustomer> {
  /**
   * Creates a reusable credit-card source, as DigitalRiver.js or Drop-in would in a browser with a
   * public key (DR's docs source api-structure.md: sources are created client-side), ready to attach.
   */
  createSource(options?: SourceOptions): DigitalRiverSource;
  /** Every tax identifier, oldest first. */
  dumpTaxIdentifiers(): DigitalRiverTaxIdentifier[];
  /** Changes when forgotten customers are erased (see `forgetErasure`); applies to later requests. */
  setForgetErasure(options: { afterReads?: number; afterMs?: number }): void;
  /** Every event recorded (API and out-of-band changes; not `seed`), oldest first. */
  dumpEvents(): DigitalRiverEvent[];
  /** Registers a webhook endpoint, as DR's Dashboard does; answers it with its signing secret. */
  registerWebhook(input: WebhookEndpointInput): WebhookEndpointView;
  /** Rotates an endpoint's signing secret; the previous one still signs for `overlapMs` (default 12 h). */
  rotateWebhookSecret(id: string, secret?: string, overlapMs?: number): WebhookEndpointView | undefined;
  removeWebhook(id: string): boolean;
  webhooks(): WebhookEndpointView[];
  /** Turns webhook sending off (events are still recorded for the Events API) or back on. */
  setWebhooksEnabled(enabled: boolean): void;
  /** Every webhook attempt made, oldest first: status, timestamp and the signature header sent. */
  webhookDeliveries(): WebhookDeliveryAttempt[];
  /** Resolves once every webhook delivery started so far has finished (retries included). */
  webhooksIdle(): Promise<void>;
}

export type RunningDigitalRiverSandbox = RunningSandbox<DigitalRiverCustomer> & {
  /** A valid `sk_test_` key for this sandbox. */
  secretKey: string;
  admin: DigitalRiverSandboxAdmin;
};

/** Default limits per key: 25/s in test mode, 250/s live (DR's docs source developer-resources/rate-limiting.md). */
const DEFAULT_TEST_RATE_LIMIT = 25;
const DEFAULT_LIVE_RATE_LIMIT = 250;

function param(request: SandboxRequest, name: string): string {
  return request.params[name] ?? '';
}

export async function startDigitalRiverSandbox(
  options: DigitalRiverSandboxOptions = {},
): Promise<RunningDigitalRiverSandbox> {
  const secretKeys = options.secretKeys ?? [DEFAULT_DIGITAL_RIVER_SECRET_KEY];
  secretKeys.forEach(assertSecretKeyFormat);
  const testKey = secretKeys.find(isTestKey);
  if (testKey === undefined) throw new Error('Digital River sandbox needs at least one sk_test_ key');
  const validKeys = new Set(secretKeys);
  const limits = {
    test: options.rateLimitPerSecond ?? DEFAULT_TEST_RATE_LIMIT,
    live: options.liveRateLimitPerSecond ?? DEFAULT_LIVE_RATE_LIMIT,
  };
  const sandbox = new DigitalRiverOperations(options.seed ?? 1, {
    afterReads: options.forgetErasure?.afterReads ?? DEFAULT_ERASURE_AFTER_READS,
    afterMs: options.forgetErasure?.afterMs ?? Number.POSITIVE_INFINITY,
  });

  const events = new DigitalRiverEvents();
  const webhooks = new DigitalRiverWebhooks({
    retryDelayMs: options.webhookRetryDelayMs ?? 1_000,
    timeoutMs: options.webhookTimeoutMs ?? 5_000,
  });
  events.onEvent((event) => webhooks.publish(event));
  const customerEvent = (type: string, customer: DigitalRiverCustomer, before?: DigitalRiverCustomer) =>
    events.record(
      type,
      customer,
      customer.liveMode,
      before === undefined ? undefined : previousAttributes({ ...before }, { ...customer }),
    );
  /** The customer as the API shows it, without counting as a read (no erasure progress). */
  const view = (id: string) => {
    const record = sandbox.store.get(id);
    return record === undefined ? undefined : sandbox.toApi(record);
  };

  const server = new SandboxServer<DigitalRiverPrincipal>(
    {
      errorResponse: drErrorForStatus,
      rateLimitedResponse: drRateLimited,
      authenticate: (request) => authenticateDigitalRiver(request, validKeys),
      rateLimit: (principal) => ({
        bucket: principal.secretKey,
        perSecond: principal.liveMode ? limits.live : limits.test,
      }),
      // Every response carries a request id (DR's PHP SDK ObjectSerializer.php; DR's Postman collection sample headers).
      commonHeaders: () => ({ 'x-dr-requestid': randomUUID() }),
    },
    '',
    options,
  );

  // Routes: docs/providers/digital-river.md customers reference, DR's PHP SDK CustomersApi/TaxIdentifiersApi. The
  // `DigitalRiver-Version` header is accepted and ignored: the sandbox implements 2021-12-13 (docs/providers/digital-river.md).
  // Each change records its event (digital-river.events.ts); webhooks go out in the background.
  server.route('POST', '/customers', (req, p) => {
    const created = sandbox.toApi(sandbox.createCustomer(req.body, p));
    customerEvent('customer.created', created);
    return { status: 201, body: created };
  });
  server.route('GET', '/customers', (req, p) => ({ status: 200, body: sandbox.listCustomers(req.query, p) }));
  server.route('GET', '/customers/:id', (req, p) => {
    const record = sandbox.store.get(param(req, 'id'));
    if (!record || record.data.liveMode !== p.liveMode)
      drNotFound('id', `Customer '${param(req, 'id')}' not found.`);
    return { status: 200, body: sandbox.read(record) };
  });
  server.route('POST', '/customers/:id', (req, p) => {
    const before = view(param(req, 'id'));
    const updated = sandbox.toApi(sandbox.updateCustomer(param(req, 'id'), req.body, p));
    customerEvent('customer.updated', updated, before);
    return { status: 200, body: updated };
  });
  server.route('DELETE', '/customers/:id', (req, p) => {
    const record = sandbox.store.get(param(req, 'id'));
    if (!record || record.data.liveMode !== p.liveMode)
      drNotFound('id', `Customer '${param(req, 'id')}' not found.`);
    const before = sandbox.toApi(record);
    sandbox.deleteCustomer(record);
    customerEvent('customer.deleted', before);
    return { status: 204 };
  });
  server.route('POST', '/customers/:id/sources/:sourceId', (req, p) => {
    const attached = view(param(req, 'id'))?.sources?.some((s) => s.id === param(req, 'sourceId'));
    const source = sandbox.attachSourceRoute(param(req, 'id'), param(req, 'sourceId'), p);
    if (attached !== true) events.record('customer.source.created', source, p.liveMode);
    return { status: 200, body: source };
  });
  server.route('DELETE', '/customers/:id/sources/:sourceId', (req, p) => {
    const source = structuredClone(sandbox.store.sources.get(param(req, 'sourceId')));
    sandbox.detachSourceRoute(param(req, 'id'), param(req, 'sourceId'), p);
    if (source !== undefined) events.record('customer.source.deleted', source, p.liveMode);
    return { status: 204 };
  });
  server.route('POST', '/customers/:id/tax-identifiers/:taxId', (req, p) => {
    const attached = view(param(req, 'id'))?.taxIdentifiers?.some((t) => t.id === param(req, 'taxId'));
    const tax = sandbox.taxIdentifiers.attach(param(req, 'id'), param(req, 'taxId'), p);
    if (attached !== true) events.record('customer.tax_identifier.created', tax, p.liveMode);
    return { status: 200, body: tax };
  });
  server.route('POST', '/tax-identifiers', (req, p) => ({
    status: 201,
    body: sandbox.taxIdentifiers.create(req.body, p),
  }));
  server.route('GET', '/tax-identifiers', (req, p) => ({
    status: 200,
    body: sandbox.taxIdentifiers.list(req.query, p),
  }));
  server.route('GET', '/tax-identifiers/:id', (req, p) => ({
    status: 200,
    body: publicTaxIdentifier(sandbox.taxIdentifiers.find(param(req, 'id'), p)),
  }));
  server.route('DELETE', '/tax-identifiers/:id', (req, p) => {
    const tax = publicTaxIdentifier(sandbox.taxIdentifiers.find(param(req, 'id'), p));
    sandbox.taxIdentifiers.delete(param(req, 'id'), p);
    events.record('tax_identifier.deleted', tax, p.liveMode);
    return { status: 204 };
  });
  server.route('GET', '/events', (req, p) => ({ status: 200, body: events.list(req.query, p) }));
  server.route('GET', '/events/:id', (req, p) => ({ status: 200, body: events.get(param(req, 'id'), p) }));

  const admin: DigitalRiverSandboxAdmin = {
    reset: () => {
      sandbox.reset();
      events.reset();
      webhooks.resetLog();
      server.limiter.reset();
      server.resetStats();
    },
    seed: (count) => sandbox.seedCustomers(count),
    dump: () => sandbox.store.all().map((record) => sandbox.toApi(record)),
    setFaults: (config) => server.faults.setConfig(config),
    getFaults: () => server.faults.getConfig(),
    setRateLimit: (perSecond) => {
      limits.test = perSecond;
      limits.live = perSecond;
    },
    // Out-of-band changes stand for Dashboard edits: DR records events for them too.
    modifyCustomer: (id, patch) => {
      const before = view(id);
      const updated = sandbox.modifyCustomer(id, patch);
      if (updated !== undefined) customerEvent('customer.updated', updated, before);
      return updated;
    },
    removeCustomer: (id) => {
      const record = sandbox.store.get(id);
      if (!record) return false;
      const before = sandbox.toApi(record);
      sandbox.deleteCustomer(record);
      customerEvent('customer.deleted', before);
      return true;
    },
    stats: () => server.stats(),
    createSource: (opts) => sandbox.createSource(opts ?? {}),
    dumpTaxIdentifiers: () => sandbox.store.taxIdentifiersInOrder().map(publicTaxIdentifier),
    setForgetErasure: (erasure) => {
      sandbox.erasure.afterReads = erasure.afterReads ?? DEFAULT_ERASURE_AFTER_READS;
      sandbox.erasure.afterMs = erasure.afterMs ?? Number.POSITIVE_INFINITY;
    },
    dumpEvents: () => events.all(),
    registerWebhook: (input) => webhooks.register(input),
    rotateWebhookSecret: (id, secret, overlapMs) => webhooks.rotate(id, secret, overlapMs),
    removeWebhook: (id) => webhooks.remove(id),
    webhooks: () => webhooks.list(),
    setWebhooksEnabled: (enabled) => webhooks.setSending(enabled),
    webhookDeliveries: () => webhooks.deliveries(),
    webhooksIdle: () => webhooks.idle(),
  };
  registerAdminRoutes(server, admin);
  registerWebhookAdminRoutes(server, admin);
  server.adminRoute('POST', '/sources', (req) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as SourceOptions;
    return {
      status: 201,
      body: admin.createSource({
        liveMode: body.liveMode === true,
        ...(typeof body.owner === 'object' && body.owner !== null ? { owner: body.owner } : {}),
        ...(typeof body.metadata === 'object' && body.metadata !== null ? { metadata: body.metadata } : {}),
      }),
    };
  });
  server.adminRoute('GET', '/tax-identifiers', () => ({ status: 200, body: admin.dumpTaxIdentifiers() }));

  const origin = await server.listen(options);
  const close = async () => {
    webhooks.setSending(false);
    await server.close();
    await webhooks.idle();
  };
  return { url: origin, origin, secretKey: testKey, admin, close };
}

/** Digital River's entry in the sandbox registry (sandbox-registry.ts). */
export const DIGITAL_RIVER_SANDBOX: ProviderSandbox<DigitalRiverSandboxOptions, RunningDigitalRiverSandbox> =
  {
    displayName: 'Digital River',
    start: startDigitalRiverSandbox,
    account: (running) => ({ baseUrl: running.url, secretKey: running.secretKey }),
    standalone: { port: 4010, envPrefix: 'DR' },
    describe: (running) => [
      `secret key    ${running.secretKey}`,
      `try           curl -H 'Authorization: Bearer ${running.secretKey}' ${running.url}/customers`,
      `admin         ${running.origin}/__admin/{reset,seed,customers,faults,rate-limit,stats,sources,events,webhooks}`,
    ],
  };
