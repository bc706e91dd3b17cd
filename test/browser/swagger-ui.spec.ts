import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { type Browser, type Page } from 'puppeteer-core';

import { OPENAPI_PATH } from '../../scripts/openapi-files';
import { launchChromium } from '../support/browser';
import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  type Link,
  startGatewayWithSandboxes,
} from '../support/gateway';

/**
 * What the README tells an admin to do, done in a real Chromium: open Swagger UI at /docs, click
 * Authorize, paste the key, and create a customer with "Try it out". Everything the page needs
 * comes from the gateway itself (the UI's files and the document), so this fails when the page
 * cannot load them, when a header keeps its scripts from running, or when Authorize does not put
 * the key on the requests it sends. The tests are one admin's visit, in order: each goes on from
 * the page as the one before left it.
 */

const document = JSON.parse(readFileSync(resolve(__dirname, '../..', OPENAPI_PATH), 'utf8')) as {
  info: { title: string };
  paths: Record<string, Record<string, unknown>>;
  webhooks: Record<string, Record<string, unknown>>;
};
const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);
// Swagger UI shows the operations and, below them, what each webhook sends.
const operationCount = [...Object.values(document.paths), ...Object.values(document.webhooks)].flatMap(
  (item) => Object.keys(item).filter((method) => METHODS.has(method)),
).length;

/** Swagger UI's element ids for operations: `operations-{tag}-{operationId}`. */
const CREATE = '#operations-customers-createCustomer';
const LIST = '#operations-customers-listCustomers';
const BY_REFERENCE = '#operations-customers-getCustomerByReference';

/** Selectors wait this long: a loaded CI machine renders slowly, and nothing here is timed. */
const RENDERED = { timeout: 30_000 };

/** What Swagger UI shows of the last answer to "Execute": the status and the body. */
async function executed(page: Page, operation: string): Promise<{ status: number; body: unknown }> {
  const clear = await page.$(`${operation} .btn-clear`);
  if (clear !== null) {
    await clear.click();
    await page.waitForSelector(`${operation} .live-responses-table`, { ...RENDERED, hidden: true });
  }
  await page.click(`${operation} .execute`);
  const status = `${operation} .live-responses-table tr.response .response-col_status`;
  await page.waitForSelector(status, RENDERED);
  return {
    status: Number(await page.$eval(status, (cell) => cell.textContent.trim())),
    body: JSON.parse(
      await page.$eval(
        `${operation} .live-responses-table .response-col_description pre`,
        (pre) => pre.textContent,
      ),
    ) as unknown,
  };
}

/** Opens an operation and presses "Try it out", which turns its parameters into inputs. */
async function tryItOut(page: Page, operation: string): Promise<void> {
  await page.click(`${operation} .opblock-summary`);
  await page.waitForSelector(`${operation} .try-out__btn`, RENDERED);
  await page.click(`${operation} .try-out__btn`);
  await page.waitForSelector(`${operation} .execute`, RENDERED);
}

/**
 * Sets one parameter as an admin does: picks it from its list, or replaces what is in its input
 * ("Try it out" fills in the document's examples; an empty value clears it).
 */
async function fill(page: Page, operation: string, name: string, value: string): Promise<void> {
  const row = `${operation} tr[data-param-name="${name}"]`;
  if ((await page.$(`${row} select`)) !== null) await page.select(`${row} select`, value);
  else await replaceText(page, `${row} input`, value);
}

/** Replaces the text in an input or textarea as a person does: select all, delete, type. */
async function replaceText(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
}

describe('Swagger UI in a real browser', () => {
  let gateway: GatewayWithSandboxes;
  let browser: Browser;
  let page: Page;
  /** Uncaught script errors, and any of the page's own files it failed to load. */
  const pageFailures: string[] = [];

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 2000 });
    page.on('pageerror', (error) => pageFailures.push(String(error)));
    page.on('requestfailed', (request) =>
      pageFailures.push(`${request.url()}: ${request.failure()?.errorText}`),
    );
    page.on('response', (response) => {
      // The API's own 4xx are what some tests here ask for; the page's files must all load.
      if (response.status() >= 400 && !new URL(response.url()).pathname.startsWith('/v1/')) {
        pageFailures.push(`${response.url()}: ${response.status()}`);
      }
    });
    await page.goto(`${gateway.url}/docs`, { waitUntil: 'load', ...RENDERED });
    await page.waitForSelector('.opblock', RENDERED);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  const customerCount = () => gateway.prisma.customer.count();
  /** The customer the admin created, as the API then answers it. */
  let created: { id: string; email: string; providers: Link[] } | undefined;

  it('shows every operation of the committed document, with every file loaded and no script error', async () => {
    expect(await page.$eval('.info .title', (title) => title.textContent)).toContain(document.info.title);
    expect(await page.$$eval('.opblock', (blocks) => blocks.length)).toBe(operationCount);
    expect(pageFailures).toEqual([]);
  });

  it('answers "Try it out" without a key with 401, and creates nothing', async () => {
    const before = await customerCount();
    await tryItOut(page, CREATE);

    const answer = await executed(page, CREATE);

    expect(answer).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    expect(await customerCount()).toBe(before);
  });

  it('creates a customer in both providers once the admin key is given to Authorize', async () => {
    await page.click('.btn.authorize');
    await page.waitForSelector('.modal-ux input', RENDERED);
    await page.type('.modal-ux input', KEYS.admin);
    await page.click('.modal-ux .auth-btn-wrapper .authorize');
    await page.click('.modal-ux .close-modal');
    await page.waitForSelector('.modal-ux', { ...RENDERED, hidden: true });

    // The body is the example the document gives, as "Try it out" filled it in.
    const answer = await executed(page, CREATE);

    expect(answer.status).toBe(201);
    const { id, email } = answer.body as { id: string; email: string };
    expect(email).toBe('jsmith@digitalriver.com');
    await gateway.drain();
    created = (await (
      await fetch(`${gateway.url}/v1/customers/${id}`, { headers: bearer(KEYS.admin) })
    ).json()) as typeof created;
    expect(created?.email).toBe(email);
    expect(created?.providers.map((link) => [link.provider, link.status]).sort()).toEqual([
      ['digital-river', 'synced'],
      ['two-checkout', 'synced'],
    ]);
  });

  it('replays the answer when the same example is executed again, and creates no second customer', async () => {
    if (created === undefined) throw new Error('the create above did not run');
    const before = await customerCount();
    const sent: Record<string, string>[] = [];
    const record = (request: { method(): string; url(): string; headers(): Record<string, string> }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/customers')
        sent.push(request.headers());
    };
    page.on('request', record);
    try {
      const again = await executed(page, CREATE);

      expect(again).toMatchObject({ status: 201, body: { id: created.id } });
    } finally {
      page.off('request', record);
    }
    // Swagger UI filled in the key (the admin typed none), and the gateway says it replayed.
    expect(sent).toHaveLength(1);
    expect(sent[0]?.['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(
      await page.$eval(`${CREATE} .live-responses-table tr.response .response-col_description`, (cell) =>
        cell.textContent.toLowerCase(),
      ),
    ).toContain('idempotent-replayed: true');
    expect(await customerCount()).toBe(before);
  });

  it('shows bad input as a structured 400 naming the field, and changes nothing', async () => {
    const before = await customerCount();
    await replaceText(page, `${CREATE} textarea.body-param__text`, '{"email": "not-an-email"}');

    const answer = await executed(page, CREATE);

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      code: 'validation_failed',
      errors: expect.arrayContaining([expect.objectContaining({ field: 'email' })]) as unknown,
    });
    expect(await customerCount()).toBe(before);
  });

  it('lists every customer as the list opens, and finds one by its email and by its 2Checkout reference', async () => {
    if (created === undefined) throw new Error('the create above did not run');
    const twoCheckout = created.providers.find((link) => link.provider === 'two-checkout');
    // Another customer, so that only the filter can single out the one the admin created.
    const other = await fetch(`${gateway.url}/v1/customers`, {
      method: 'POST',
      headers: { ...bearer(KEYS.admin), 'Content-Type': 'application/json' },
      body: JSON.stringify(johnSmith({ email: 'someone.else@example.com', providers: [] })),
    });
    expect(other.status).toBe(201);

    await tryItOut(page, LIST);
    const asItOpens = await executed(page, LIST);
    await fill(page, LIST, 'email', created.email);
    const byEmail = await executed(page, LIST);

    await tryItOut(page, BY_REFERENCE);
    await fill(page, BY_REFERENCE, 'provider', 'two-checkout');
    await fill(page, BY_REFERENCE, 'reference', String(twoCheckout?.providerCustomerId));
    const byReference = await executed(page, BY_REFERENCE);

    const ids = (answer: { body: unknown }) =>
      (answer.body as { data: { id: string }[] }).data.map((c) => c.id);
    expect(asItOpens.status).toBe(200);
    expect(ids(asItOpens).toSorted()).toEqual(
      [created.id, ((await other.json()) as { id: string }).id].toSorted(),
    );
    expect(byEmail.status).toBe(200);
    expect(ids(byEmail)).toEqual([created.id]);
    expect(byReference).toMatchObject({ status: 200, body: { id: created.id } });
  });

  it('opens the operation a shared link names in a new tab, with the admin still authorized', async () => {
    // A link an admin copies from the address bar: Swagger UI's deep links name the operationId.
    const tab = await browser.newPage();
    try {
      tab.on('pageerror', (error) => pageFailures.push(String(error)));
      await tab.goto(`${gateway.url}/docs#/customers/getCustomer`, { waitUntil: 'load', ...RENDERED });

      await tab.waitForSelector('#operations-customers-getCustomer .opblock-body', RENDERED);
      await tab.waitForSelector('.btn.authorize.locked', RENDERED);
    } finally {
      await tab.close();
    }
    expect(pageFailures).toEqual([]);
  });
});
