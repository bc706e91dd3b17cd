import { randomUUID } from 'node:crypto';
import { registerAdminRoutes } from '../shared/admin-routes';
import { type SandboxRequest, SandboxServer } from '../shared/sandbox-server';
import {
  type ProviderSandbox,
  type RunningSandbox,
  type SandboxAdmin,
  type SandboxOptions,
} from '../shared/types';
import { signAvangateAuthentication, verifyAvangateAuthentication } from './two-checkout.auth';
import { tcoError, tcoErrorForStatus, tcoErrorResponse, tcoRateLimited } from './two-checkout.errors';
import { type StoredTwoCheckoutCustomer, TwoCheckoutStore } from './two-checkout.store';
import { type TwoCheckoutCustomer, type TwoCheckoutCustomerFields } from './two-checkout.types';
import { validateCustomerInformation } from './two-checkout.validation';

export interface TwoCheckoutSandboxOptions extends SandboxOptions {
  /** Merchant code accepted in the header's `code`. Default `SANDBOXMERCHANT`. */
  merchantCode?: string;
  /** Secret key the HMAC is checked with. Default a fixed sandbox key. */
  secretKey?: string;
  /** Accepted |server clock - header date| in seconds; undocumented by 2CO. Default 600 (10 minutes). */
  skewSeconds?: number;
  /** Accept headers without `algo` as legacy HMAC-MD5. Default true; set false to act post-decommission. */
  allowMd5?: boolean;
}

export interface TwoCheckoutSandboxAdmin extends SandboxAdmin<TwoCheckoutCustomer> {
  /** Assigns a subscription, which is what makes a customer Enabled (and Trial, for a trial). */
  addSubscription(reference: string, options?: { trial?: boolean }): TwoCheckoutCustomer | undefined;
  /** Saves a card on the customer and returns its transient token (for the card-delete route). */
  addCard(reference: string): string | undefined;
}

export type RunningTwoCheckoutSandbox = RunningSandbox<TwoCheckoutCustomer> & {
  merchantCode: string;
  secretKey: string;
  admin: TwoCheckoutSandboxAdmin;
};

export const DEFAULT_TWO_CHECKOUT_MERCHANT_CODE = 'SANDBOXMERCHANT';
export const DEFAULT_TWO_CHECKOUT_SECRET_KEY = 'sandbox-secret-key-3c1f0e2d9b8a7c6d5e4f';
const DEFAULT_SKEW_SECONDS = 600;

/** Base path of the REST 6.0 API (docs/providers/two-checkout.md `servers`: https://api.2checkout.com/rest/6.0). */
const BASE_PATH = '/rest/6.0';

/** Methods a customer resource supports (REST 3.0 recorded header `allow=HEAD,GET,PUT`). */
const CUSTOMER_ALLOW = 'HEAD, GET, PUT';

const WRITABLE_FIELDS: readonly (keyof TwoCheckoutCustomerFields)[] = [
  'ExternalCustomerReference',
  'FirstName',
  'LastName',
  'Company',
  'FiscalCode',
  'Address1',
  'Address2',
  'City',
  'State',
  'Zip',
  'CountryCode',
  'Phone',
  'Fax',
  'Email',
  'Language',
];

function param(request: SandboxRequest, name: string): string {
  return request.params[name] ?? '';
}

function notFound(reference: string): never {
  return tcoError(404, 'NOT_FOUND', `Customer "${reference}" not found.`);
}

function duplicateExternal(external: string): never {
  // Message from 2CO's "Customer IDs" page; the status and error_code are our choice (README).
  return tcoError(
    400,
    'DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE',
    `The External ID you entered is used by another customer account: "${external}".`,
  );
}

export async function startTwoCheckoutSandbox(
  options: TwoCheckoutSandboxOptions = {},
): Promise<RunningTwoCheckoutSandbox> {
  const merchantCode = options.merchantCode ?? DEFAULT_TWO_CHECKOUT_MERCHANT_CODE;
  const secretKey = options.secretKey ?? DEFAULT_TWO_CHECKOUT_SECRET_KEY;
  const merchants = new Map([[merchantCode, secretKey]]);
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const allowMd5 = options.allowMd5 ?? true;
  // 2CO publishes no rate limit (docs/providers/two-checkout.md#errors), so the limiter is off unless configured.
  let rateLimit = options.rateLimitPerSecond ?? 0;
  const store = new TwoCheckoutStore();

  const server = new SandboxServer<string>(
    {
      errorResponse: tcoErrorForStatus,
      rateLimitedResponse: tcoRateLimited,
      authenticate: (request) => {
        const header = request.headers['x-avangate-authentication'];
        const result = verifyAvangateAuthentication(Array.isArray(header) ? header[0] : header, {
          merchants,
          skewSeconds,
          allowMd5,
        });
        return result.ok
          ? { ok: true, principal: result.merchantCode }
          : { ok: false, response: tcoErrorResponse(401, 'AUTHENTICATION_ERROR', result.message) };
      },
      rateLimit: (merchant) => ({ bucket: merchant, perSecond: rateLimit }),
    },
    BASE_PATH,
    options,
  );

  // Create: 200 with the bare numeric reference as the body (avangate-ruby-rest-code-samples
  // add-customer.rb; avangate-php-rest-code-samples AddCustomer.php asserts is_int).
  server.route('POST', '/customers', (req) => {
    const fields = validateCustomerInformation(req.body);
    if (store.externalTaken(fields.ExternalCustomerReference))
      duplicateExternal(fields.ExternalCustomerReference ?? '');
    return { status: 200, body: store.insert(fields).reference };
  });
  // There is no list/search in REST 6.0 (docs/providers/two-checkout.md) and `/customers/` only takes POST (REST 3.0 `allow=POST`).
  server.route(['GET', 'PUT', 'DELETE', 'PATCH'], '/customers', () =>
    tcoError(405, 'METHOD_NOT_ALLOWED', 'Only POST is allowed on /customers/.', { allow: 'POST' }),
  );
  server.route('GET', '/customers/:ref', (req) => {
    const record = store.find(param(req, 'ref')) ?? notFound(param(req, 'ref'));
    return { status: 200, body: store.toApi(record) };
  });
  // Update replaces the whole object (docs/providers/two-checkout.md#create-and-update-semantics) and is addressed by the internal reference
  // only (docs/providers/two-checkout.md PUT: "Internal 2Checkout customer reference"). Answers `true`, like JSON-RPC updateCustomer.
  server.route('PUT', '/customers/:ref', (req) => {
    const record = store.byInternal(param(req, 'ref')) ?? notFound(param(req, 'ref'));
    const fields = validateCustomerInformation(req.body);
    if (store.externalTaken(fields.ExternalCustomerReference, record)) {
      duplicateExternal(fields.ExternalCustomerReference ?? '');
    }
    store.replace(record, fields);
    return { status: 200, body: true };
  });
  // No customer delete exists in REST, JSON-RPC or SOAP (docs/providers/two-checkout.md; docs/providers/two-checkout.md#create-and-update-semantics).
  server.route(['DELETE', 'POST', 'PATCH'], '/customers/:ref', () =>
    tcoError(405, 'METHOD_NOT_ALLOWED', 'Customers cannot be deleted or patched.', { allow: CUSTOMER_ALLOW }),
  );
  // docs/providers/two-checkout.md "Delete customer credit card": 200 {Deleted:true}; 400 {Deleted:false, Errors:[...]}.
  server.route('DELETE', '/customers/:ref/credit-card/:token', (req) => {
    const record = store.find(param(req, 'ref')) ?? notFound(param(req, 'ref'));
    const token = param(req, 'token');
    if (!record.cards.delete(token)) {
      return {
        status: 400,
        body: {
          Deleted: false,
          Errors: [
            {
              SubscriptionReference: null,
              Message: 'Card not found for this customer.',
              ErrorCode: 'CARD_NOT_FOUND',
            },
          ],
        },
      };
    }
    return { status: 200, body: { Deleted: true } };
  });

  const seed = (count: number): string[] => {
    const references: string[] = [];
    let n = store.size;
    while (references.length < count) {
      n++;
      const external = `SEED${n}`;
      if (store.externalTaken(external)) continue;
      const record = store.insert({
        ExternalCustomerReference: external,
        FirstName: 'Seed',
        LastName: `Customer ${n}`,
        Company: null,
        FiscalCode: null,
        Address1: `${n} Main St`,
        Address2: null,
        City: 'Atlanta',
        State: 'Georgia',
        Zip: '30301',
        CountryCode: 'us',
        Phone: null,
        Fax: null,
        Email: `seed.customer.${n}@example.com`,
        Language: 'en',
      });
      references.push(String(record.reference));
    }
    return references;
  };

  const modify = (
    reference: string,
    patch: Partial<TwoCheckoutCustomer>,
  ): TwoCheckoutCustomer | undefined => {
    const record = store.find(reference);
    if (!record) return undefined;
    const fields: TwoCheckoutCustomerFields = { ...record.fields };
    for (const key of WRITABLE_FIELDS) {
      const value = patch[key];
      if (value !== undefined) (fields as unknown as Record<string, string | null>)[key] = value;
    }
    store.replace(record, fields);
    if (patch.Enabled !== undefined) record.enabled = patch.Enabled;
    if (patch.Trial !== undefined) record.trial = patch.Trial;
    return store.toApi(record);
  };

  const withRecord = <T>(reference: string, fn: (record: StoredTwoCheckoutCustomer) => T): T | undefined => {
    const record = store.find(reference);
    return record ? fn(record) : undefined;
  };

  const admin: TwoCheckoutSandboxAdmin = {
    reset: () => {
      store.reset();
      server.limiter.reset();
      server.resetStats();
    },
    seed,
    dump: () => [...store.all()].map((record) => store.toApi(record)),
    setFaults: (config) => server.faults.setConfig(config),
    getFaults: () => server.faults.getConfig(),
    setRateLimit: (perSecond) => {
      rateLimit = perSecond;
    },
    modifyCustomer: modify,
    removeCustomer: (reference) =>
      withRecord(reference, (record) => {
        store.remove(record);
        return true;
      }) ?? false,
    stats: () => server.stats(),
    addSubscription: (reference, opts) =>
      withRecord(reference, (record) => {
        record.enabled = true;
        record.trial = opts?.trial ?? false;
        return store.toApi(record);
      }),
    addCard: (reference) =>
      withRecord(reference, (record) => {
        const token = randomUUID().replace(/-/g, '');
        record.cards.add(token);
        return token;
      }),
  };
  registerAdminRoutes(server, admin);
  server.adminRoute('POST', '/customers/:ref/subscriptions', (req) => {
    const trial =
      typeof req.body === 'object' && req.body !== null && (req.body as { trial?: unknown }).trial === true;
    const customer = admin.addSubscription(param(req, 'ref'), { trial });
    return customer ? { status: 200, body: customer } : { status: 404, body: { error: 'unknown customer' } };
  });
  server.adminRoute('POST', '/customers/:ref/cards', (req) => {
    const token = admin.addCard(param(req, 'ref'));
    return token ? { status: 201, body: { token } } : { status: 404, body: { error: 'unknown customer' } };
  });

  const origin = await server.listen(options);
  return { url: origin + BASE_PATH, origin, merchantCode, secretKey, admin, close: () => server.close() };
}

/** 2Checkout's entry in the sandbox registry (sandbox-registry.ts). */
export const TWO_CHECKOUT_SANDBOX: ProviderSandbox<TwoCheckoutSandboxOptions, RunningTwoCheckoutSandbox> = {
  displayName: '2Checkout',
  start: startTwoCheckoutSandbox,
  account: (running) => ({
    baseUrl: running.url,
    merchantCode: running.merchantCode,
    secretKey: running.secretKey,
  }),
  standalone: { port: 4020, envPrefix: 'TCO' },
  describe: (running) => [
    `merchant code ${running.merchantCode}`,
    `secret key    ${running.secretKey}`,
    `header now    X-Avangate-Authentication: ${signAvangateAuthentication({ code: running.merchantCode, secretKey: running.secretKey })}`,
    `admin         ${running.origin}/__admin/{reset,seed,customers,faults,rate-limit,stats}`,
  ],
};
