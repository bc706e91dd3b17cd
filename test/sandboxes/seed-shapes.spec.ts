import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type RunningDigitalRiverSandbox,
  type RunningTwoCheckoutSandbox,
  type SourceOptions,
  startDigitalRiverSandbox,
  startTwoCheckoutSandbox,
} from '@app/sandboxes';
import { tcoAuthHeader } from '../../libs/providers/src/two-checkout/two-checkout.client';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * The providers' own response examples, copied from their public documentation into
 * `__fixtures__/provider-examples/` (each file names the page it comes from in `source`), so the
 * check runs on a fresh clone with nothing beside it. Only the examples this suite compares are
 * kept: Digital River customers, a customer list and a source, and 2Checkout's OAS
 * `CustomerInformation` schema.
 */
const EXAMPLES_DIR = join(__dirname, '__fixtures__', 'provider-examples');

function seedExamples(): JsonObject[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap(
      (file) =>
        (JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as { examples: JsonObject[] }).examples,
    );
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Some reference pages render dates as Java `OffsetDateTime` objects; the API sends ISO text. */
const isJavaDate = (value: Json): boolean => isObject(value) && 'dayOfWeek' in value && 'offset' in value;

/**
 * A DR source carries one detail object, the one its `type` names; the reference example lists
 * every payment method's (https://docs.digitalriver.com/digital-river-api/payments/payment-sources).
 */
const SOURCE_DETAIL_OBJECTS = new Set(['creditCard', 'googlePay', 'applePay', 'payPal', 'payPalBilling', 'payPalCredit', 'directDebit', 'wireTransfer', 'payCo', 'klarnaCredit', 'alipay', 'konbini', 'bankTransfer']); // prettier-ignore

/** Dotted paths the example has and `actual` lacks, comparing nested objects and first array items. */
function missingPaths(example: JsonObject, actual: JsonObject, path = ''): string[] {
  const missing: string[] = [];
  const isSource = 'clientSecret' in example;
  for (const [key, value] of Object.entries(example)) {
    if (isSource && SOURCE_DETAIL_OBJECTS.has(key) && key !== actual.type) continue;
    const where = `${path}${key}`;
    if (!(key in actual)) {
      missing.push(where);
      continue;
    }
    const mine = actual[key];
    if (isObject(value) && !isJavaDate(value) && isObject(mine)) {
      missing.push(...missingPaths(value, mine, `${where}.`));
    } else if (Array.isArray(value) && Array.isArray(mine) && isObject(value[0]) && isObject(mine[0])) {
      missing.push(...missingPaths(value[0], mine[0], `${where}[0].`));
    }
  }
  return missing;
}

describe("the sandboxes answer every field of the seed documents' own response examples", () => {
  const examples = seedExamples();
  let dr: RunningDigitalRiverSandbox;
  let tco: RunningTwoCheckoutSandbox;

  beforeAll(async () => {
    [dr, tco] = await Promise.all([
      startDigitalRiverSandbox({ rateLimitPerSecond: 0 }),
      startTwoCheckoutSandbox({ rateLimitPerSecond: 0 }),
    ]);
  });
  afterAll(() => Promise.all([dr.close(), tco.close()]));

  const drCall = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${dr.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${dr.secretKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as JsonObject };
  }; // prettier-ignore

  /** A customer with every part DR can hold: shipping, tax certificate, metadata, a default source, a tax identifier. */
  async function fullCustomer(id: string) {
    const created = await drCall('POST', '/customers', {
      id,
      email: 'jsmith@digitalriver.com',
      shipping: {
        address: { line1: '10380 Bren Rd W', line2: 'text', city: 'Minnetonka', postalCode: '55129', state: 'MN', country: 'US' },
        name: 'John Smith',
        phone: '952-111-1111',
        email: 'jsmith@digitalriver.com',
        organization: 'Digital River',
        additionalAddressInfo: { neighborhood: 'Centro', division: '東京都', phoneticName: 'ジョン スミス' },
      },
      taxCertificate: { companyName: 'Digital River Inc.', taxAuthority: 'MN', startDate: '2019-04-25T20:36:00Z', endDate: '2020-04-25T20:36:00Z', fileId: 'file_8fd2f808-bbb4-49bc-aa41-c960a1447331' },
      metadata: { coupon: 'iOS' },
      locale: 'en_US',
      type: 'individual',
      enabled: true,
    });
    expect(created.status).toBe(201);
    // The owner DigitalRiver.js would send, taken from the reference's own Source example.
    const owner = examples.find((e) => 'clientSecret' in e && isObject(e.owner))!.owner as unknown as SourceOptions['owner'];
    const source = dr.admin.createSource({ owner, metadata: { coupon: 'iOS' } });
    // What a real client sends: a JSON content type with no body on a body-less POST.
    const attached = await drCall('POST', `/customers/${id}/sources/${source.id}`, undefined, { 'Content-Type': 'application/json' });
    expect(attached.status).toBe(200);
    expect((await drCall('POST', `/customers/${id}`, { defaultSourceId: source.id })).status).toBe(200);
    const tax = await drCall('POST', '/tax-identifiers', { type: 'uk', value: 'GB999999973' });
    expect((await drCall('POST', `/customers/${id}/tax-identifiers/${tax.body.id as string}`, undefined, { 'Content-Type': 'application/json' })).status).toBe(200);
    return { created: created.body, attached: attached.body, read: (await drCall('GET', `/customers/${id}`)).body };
  } // prettier-ignore

  it('finds the examples: Digital River customers, a customer list, a source, and the 2Checkout OAS', () => {
    expect(examples.filter((e) => 'requestToBeForgotten' in e && 'createdTime' in e).length).toBeGreaterThanOrEqual(4);
    expect(examples.some((e) => 'hasMore' in e)).toBe(true);
    expect(examples.some((e) => 'clientSecret' in e && 'owner' in e)).toBe(true);
    expect(examples.some((e) => 'openapi' in e)).toBe(true);
  }); // prettier-ignore

  it('Digital River: customers, lists and sources have every field the examples have', async () => {
    const full = await fullCustomer('seed-shape-1');
    const list = (await drCall('GET', '/customers?limit=1')).body;
    const problems: string[] = [];
    for (const example of examples) {
      if ('hasMore' in example) {
        problems.push(...missingPaths(example, list).map((p) => `list: ${p}`));
      } else if ('clientSecret' in example) {
        problems.push(...missingPaths(example, full.attached).map((p) => `attach source: ${p}`));
      } else if ('requestToBeForgotten' in example && 'createdTime' in example) {
        problems.push(...missingPaths(example, full.read).map((p) => `customer: ${p}`));
        problems.push(...missingPaths(example, full.created).map((p) => `create answer: ${p}`).filter((p) => !/sources|taxIdentifiers|defaultSourceId/.test(p)));
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  }); // prettier-ignore

  it("2Checkout: a customer read has every property of the OAS's CustomerInformation", async () => {
    const schemas = examples
      .filter((e) => 'openapi' in e)
      .flatMap((e) => Object.entries((e as { paths: Record<string, Record<string, unknown>> }).paths)
        .filter(([path]) => path === '/customers/{CReference}/')
        .flatMap(([, methods]) => ('get' in methods ? [e] : [])))
      .map((e) => (e as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } }).components.schemas.CustomerInformation!.properties);
    expect(schemas.length).toBeGreaterThan(0);
    const numeric = tco.admin.seed(1)[0]!;
    const res = await fetch(`${tco.url}/customers/${numeric}/`, {
      headers: { Accept: 'application/json', 'X-Avangate-Authentication': tcoAuthHeader(tco.merchantCode, tco.secretKey, 'sha256', new Date()) },
    });
    expect(res.status).toBe(200);
    const customer = (await res.json()) as JsonObject;
    for (const properties of schemas) {
      expect(Object.keys(properties).filter((name) => !(name in customer))).toEqual([]);
    }
  }); // prettier-ignore
});
