/**
 * Field projections over HTTP (issue 30), driven by each provider's table (`<provider>.fields.ts`):
 * for every cell a table marks as held, and every provider field the mapping writes it to, a
 * change made through the API arrives at the sandbox, an edit made at the sandbox is seen by drift
 * under that sub-field and restored by a push, and clearing the field settles in sync. A new held
 * cell fails here until it has a scenario below. Then the cases held in part the issue names.
 */
import { type CanonicalField, CANONICAL_FIELDS, type FieldCopy, ProviderAccounts } from '@app/domain';
import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  startGatewayWithSandboxes,
} from '../support/gateway';

const DR = 'digital-river';
const TCO = 'two-checkout';
type Json = Record<string, unknown>;

/** A merge patch for `PATCH /v1/customers/{id}`, or calls on the customer's sub-resources. */
type Step = Json | { calls: { method: 'post' | 'delete'; path: string }[] };

/** What a cell's test does to one copy: a change through the API, an edit at the sandbox, a clear. */
interface Scenario {
  /** Changes the field (the value the provider then holds is not the base's). */
  change: Step;
  /** The raw value written at the provider field (`at`) as an edit made "directly at the provider". */
  edit?: unknown;
  /** Why an edit cannot be made at the sandbox (a sub-resource its admin does not edit). */
  noEdit?: string;
  /** Clears the field, or says why the provider cannot have it cleared. */
  clear: Step | { cannot: string };
}

const text = (field: string, change: string, edit: string, clear: Json | { cannot: string }): Scenario => ({
  change: nested(field, change),
  edit,
  clear,
});

/** `address.city`, 'x' → `{ address: { city: 'x' } }`. */
function nested(path: string, value: unknown): Json {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, step) => ({ [step]: inner }), value) as Json;
}

const REQUIRED_AT_2CO = {
  cannot: '2Checkout requires it (FirstName, LastName, Address1, City, Zip, CountryCode, Email)',
};

/** Scenarios per provider and canonical (sub-)field; `*` applies to every provider. */
const SCENARIOS: Record<string, Scenario> = {
  [`${DR}:email`]: text('email', 'changed@example.test', 'edited@example.test', {
    cannot: 'Digital River cannot clear an email once set (it refuses "")',
  }),
  [`${TCO}:email`]: text('email', 'changed@example.test', 'edited@example.test', REQUIRED_AT_2CO),
  [`${TCO}:givenName`]: text('givenName', 'Jane', 'Edited', REQUIRED_AT_2CO),
  [`${TCO}:familyName`]: text('familyName', 'Doe', 'Edited', REQUIRED_AT_2CO),
  ['*:companyName']: text('companyName', 'Acme', 'Edited Co', { companyName: null }),
  ['*:phone']: text('phone', '612-555-0100', '612-555-0199', { phone: null }),
  [`${DR}:address.line1`]: text('address.line1', '1 New St', '2 Edited St', { address: { line1: null } }),
  [`${TCO}:address.line1`]: text('address.line1', '1 New St', '2 Edited St', REQUIRED_AT_2CO),
  ['*:address.line2']: text('address.line2', 'Suite 5', 'Suite 9', { address: { line2: null } }),
  [`${DR}:address.city`]: text('address.city', 'Edina', 'Eagan', { address: { city: null } }),
  [`${TCO}:address.city`]: text('address.city', 'Edina', 'Eagan', REQUIRED_AT_2CO),
  ['*:address.state']: text('address.state', 'CA', 'NY', { address: { state: null } }),
  [`${DR}:address.postalCode`]: text('address.postalCode', '90210', '10001', {
    address: { postalCode: null },
  }),
  [`${TCO}:address.postalCode`]: text('address.postalCode', '90210', '10001', REQUIRED_AT_2CO),
  // Without a country there is no address: clearing it is clearing the address.
  [`${DR}:address.country`]: text('address.country', 'CA', 'MX', { address: null }),
  [`${TCO}:address.country`]: { change: { address: { country: 'CA' } }, edit: 'mx', clear: REQUIRED_AT_2CO },
  [`${DR}:address.additionalAddressInfo.neighborhood`]: text(
    'address.additionalAddressInfo.neighborhood',
    'Norte',
    'Sur',
    { address: { additionalAddressInfo: { neighborhood: null } } },
  ),
  [`${DR}:address.additionalAddressInfo.division`]: text(
    'address.additionalAddressInfo.division',
    '大阪府',
    '京都府',
    {
      address: { additionalAddressInfo: { division: null } },
    },
  ),
  [`${DR}:address.additionalAddressInfo.phoneticName`]: text(
    'address.additionalAddressInfo.phoneticName',
    'ジェーン',
    'エディット',
    { address: { additionalAddressInfo: { phoneticName: null } } },
  ),
  // Cleared, DR holds its default type again rather than keeping `business`.
  [`${DR}:type`]: { change: { type: 'business' }, edit: 'individual', clear: { type: null } },
  [`${DR}:enabled`]: {
    change: { enabled: false },
    edit: true,
    clear: { cannot: 'a boolean has no absent value' },
  },
  [`${DR}:metadata`]: {
    change: { metadata: { tier: 'gold' } },
    edit: { coupon: 'SPRING20', tier: 'silver' },
    clear: { metadata: null },
  },
  [`${DR}:taxIdentifiers`]: {
    change: { taxIdentifiers: [{ type: 'us_ein', value: '98-7654321' }] },
    noEdit: 'tax identifiers are their own resource, which the sandbox admin does not edit',
    clear: { taxIdentifiers: [] },
  },
  [`${DR}:sourceIds`]: {
    change: { calls: [{ method: 'post', path: 'sources/{source}' }] },
    noEdit: 'sources are attached sub-resources, which the sandbox admin does not edit',
    clear: { calls: [{ method: 'delete', path: 'sources/{source}' }] },
  },
  [`${DR}:defaultSourceId`]: {
    change: {
      calls: [
        { method: 'post', path: 'sources/{other}' },
        { method: 'post', path: 'sources/{source}?default=true' },
      ],
    },
    edit: '{other}',
    clear: { cannot: 'Digital River cannot clear a default source, only replace it' },
  },
};

interface Cell {
  provider: string;
  field: CanonicalField;
  copy: FieldCopy;
}

/** The value at a dotted path of a wire object. */
function at(wire: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, step) => (node as Json | undefined)?.[step], wire);
}

/** A copy of `wire` with `value` at the dotted `path`, the objects on the way copied. */
function withValueAt(wire: Json, path: string, value: unknown): Json {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...wire, [head]: value };
  return { ...wire, [head]: withValueAt((wire[head] as Json | undefined) ?? {}, rest.join('.'), value) };
}

describe('field projections over HTTP', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes[DR].admin;
  const tco = () => gateway.sandboxes[TCO].admin;
  let counter = 0;

  /** The held cells of every configured provider, one per provider field the mapping writes. */
  let held: Cell[] = [];

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ SYNC_MAX_ATTEMPTS: '3' });
    held = gateway.app
      .get(ProviderAccounts)
      .all()
      .flatMap((provider) =>
        CANONICAL_FIELDS.flatMap((field) => {
          const cell = provider.fieldTable?.[field];
          if (cell?.support !== 'full') return [];
          return cell.copies.map((copy) => ({ provider: provider.provider, field, copy }));
        }),
      );
  }, 300_000);
  afterAll(() => gateway?.close());

  const create = async (provider: string, overrides: Json = {}) => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send({
        ...johnSmith({ externalReference: `proj-${process.pid}-${++counter}`, taxIdentifiers: [] }),
        providers: [{ provider }],
        ...overrides,
      });
    expect(created.status).toBe(201);
    await gateway.drain();
    return created.body as {
      id: string;
      externalReference: string;
      providers: { providerCustomerId: string | null }[];
    };
  };

  const patch = async (id: string, step: Step) => {
    const calls = 'calls' in step ? (step.calls as { method: 'post' | 'delete'; path: string }[]) : [];
    for (const call of calls) {
      const res = await api()[call.method](`/v1/customers/${id}/${call.path}`).set(auth);
      expect({ status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({
        status: 200,
      });
    }
    if (!('calls' in step)) {
      const res = await api().patch(`/v1/customers/${id}`).set(auth).send(step);
      expect({ status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({
        status: 200,
      });
    }
    await gateway.drain();
    const res = await api().get(`/v1/customers/${id}`).set(auth);
    return res.body as Json & {
      providers: { status: string; unsupportedFields: string[]; lossyFields: string[] }[];
    };
  };

  const drift = async (id: string) => {
    const res = await api().get(`/v1/customers/${id}/drift`).set(auth);
    expect(res.status).toBe(200);
    return (
      res.body.data as {
        state: string;
        fields: { field: string; at?: string; ours: unknown; theirs: unknown }[];
      }[]
    )[0]!;
  };

  const wireOf = (provider: string, reference: string): Json => {
    const found =
      provider === DR
        ? dr()
            .dump()
            .find((c) => c.id === reference)
        : tco()
            .dump()
            .find((c) => c.ExternalCustomerReference === reference);
    expect(found).toBeDefined();
    return found as unknown as Json;
  };

  /** Edits the copy at `path` as a person at the provider would. */
  const editAt = (
    provider: string,
    reference: string,
    providerCustomerId: string | null,
    path: string,
    value: unknown,
  ) => {
    const top = path.split('.')[0]!;
    if (provider === DR) {
      const edited = withValueAt(wireOf(DR, reference), path, value);
      dr().modifyCustomer(reference, { [top]: edited[top] });
    } else {
      tco().modifyCustomer(providerCustomerId ?? reference, { [top]: value });
    }
  };

  const sources = () => {
    const source = dr().createSource({});
    const other = dr().createSource({});
    return (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value).replaceAll('{source}', source.id).replaceAll('{other}', other.id));
  };

  it('has a scenario for every held cell of every provider', () => {
    expect(held.length).toBeGreaterThan(20);
    const missing = held
      .filter(
        ({ provider, copy }) => !SCENARIOS[`${provider}:${copy.field}`] && !SCENARIOS[`*:${copy.field}`],
      )
      .map(({ provider, copy }) => `${provider}:${copy.field} (${copy.at})`);
    expect(missing).toEqual([]);
  });

  it.each([DR, TCO])(
    '%s: delivers a change, sees and restores an edit there, and clears, for every held cell',
    async (tested) => {
      const failures: string[] = [];
      for (const { provider, copy } of held.filter((cell) => cell.provider === tested)) {
        const label = `${provider} ${copy.field} at ${copy.at}`;
        const scenario = SCENARIOS[`${provider}:${copy.field}`] ?? SCENARIOS[`*:${copy.field}`]!;
        const fill = provider === DR ? sources() : (value: unknown) => value;
        const customer = await create(provider);
        const reference = customer.externalReference;
        const providerCustomerId = customer.providers[0]!.providerCustomerId;
        const check = (ok: boolean, what: string) => {
          if (!ok) failures.push(`${label}: ${what}`);
        };

        // 1. The change arrives: the provider field no longer holds the base value, and drift agrees.
        const before = at(wireOf(provider, reference), copy.at);
        const changed = await patch(customer.id, fill(scenario.change) as Step);
        check(
          changed.providers[0]!.status === 'synced',
          `change not synced: ${JSON.stringify(changed.providers[0])}`,
        );
        const arrived = at(wireOf(provider, reference), copy.at);
        if (!['sources', 'taxIdentifiers', 'metadata'].includes(copy.at)) {
          check(
            JSON.stringify(arrived) !== JSON.stringify(before),
            `change did not arrive (still ${JSON.stringify(arrived)})`,
          );
        }
        const afterChange = await drift(customer.id);
        check(
          afterChange.state === 'in_sync',
          `drift after the change: ${JSON.stringify(afterChange.fields)}`,
        );

        // 2. An edit made at the provider is seen under this sub-field (and this provider field), and
        //    a push restores what was delivered.
        if (scenario.edit !== undefined) {
          editAt(provider, reference, providerCustomerId, copy.at, fill(scenario.edit));
          const seen = await drift(customer.id);
          const named = seen.fields.filter((f) => f.field === copy.field && (f.at ?? f.field) === copy.at);
          check(seen.state === 'drifted' && named.length === 1, `edit not seen: ${JSON.stringify(seen)}`);
          const pushed = await api()
            .post(`/v1/customers/${customer.id}/reconcile`)
            .set(auth)
            .send({ strategy: 'push' });
          check(
            pushed.status === 200 && pushed.body.data[0].state === 'in_sync',
            `push: ${JSON.stringify(pushed.body)}`,
          );
          const restored = at(wireOf(provider, reference), copy.at);
          check(
            JSON.stringify(restored) === JSON.stringify(arrived),
            `not restored: ${JSON.stringify(restored)}`,
          );
        } else {
          check(scenario.noEdit !== undefined, 'a scenario without an edit must say why');
        }

        // 3. Clearing settles in sync, with nothing listed unsupported.
        if (!('cannot' in scenario.clear)) {
          const cleared = await patch(customer.id, fill(scenario.clear) as Step);
          const link = cleared.providers[0]!;
          check(link.status === 'synced', `clear not synced: ${JSON.stringify(link)}`);
          const afterClear = await drift(customer.id);
          check(afterClear.state === 'in_sync', `drift after clearing: ${JSON.stringify(afterClear.fields)}`);
        }
      }
      expect(failures).toEqual([]);
    },
    600_000,
  );
});

describe('fields held in part, over HTTP (issue 30)', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes[DR].admin;
  const tco = () => gateway.sandboxes[TCO].admin;
  let counter = 0;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ SYNC_MAX_ATTEMPTS: '3' });
  }, 300_000);
  afterAll(() => gateway?.close());

  type Link = { provider: string; status: string; unsupportedFields: string[]; lossyFields: string[] };
  type Drift = {
    provider: string;
    state: string;
    fields: { field: string; at?: string; ours: unknown; theirs: unknown }[];
  };

  const create = async (overrides: Json = {}) => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(
        johnSmith({
          externalReference: `part-${process.pid}-${++counter}`,
          taxIdentifiers: [],
          ...overrides,
        }),
      );
    expect(created.status).toBe(201);
    await gateway.drain();
    return created.body as { id: string; externalReference: string };
  };
  const read = async (id: string) => {
    const res = await api().get(`/v1/customers/${id}`).set(auth);
    return { body: res.body as Json & { providers: Link[] }, etag: res.headers['etag'] as string };
  };
  const linkAt = (body: { providers: Link[] }, provider: string) =>
    body.providers.find((l) => l.provider === provider)!;
  const driftOf = async (id: string) =>
    ((await api().get(`/v1/customers/${id}/drift`).set(auth)).body.data as Drift[]).reduce<
      Record<string, Drift>
    >((all, link) => ({ ...all, [link.provider]: link }), {});
  const drCopy = (reference: string) =>
    dr()
      .dump()
      .find((c) => c.id === reference)!;
  const tcoCopy = (reference: string) =>
    tco()
      .dump()
      .find((c) => c.ExternalCustomerReference === reference)!;

  it('converges a locale 2Checkout holds in part, and drift would have reported it', async () => {
    const created = await create({ locale: 'de-CH' });
    expect(tcoCopy(created.externalReference).Language).toBe('de');
    const { etag } = await read(created.id);
    const patched = await api()
      .patch(`/v1/customers/${created.id}`)
      .set(auth)
      .set('If-Match', etag)
      .send({ locale: 'fr-FR' });
    expect(patched.status).toBe(200);
    await gateway.drain();
    expect(drCopy(created.externalReference).locale).toBe('fr_FR');
    expect(tcoCopy(created.externalReference).Language).toBe('fr');
    const { body } = await read(created.id);
    expect(linkAt(body, TCO)).toMatchObject({ status: 'synced', lossyFields: ['locale'] });
    expect(linkAt(body, TCO).unsupportedFields).not.toContain('locale');
    expect((await driftOf(created.id))[TCO]).toMatchObject({ state: 'in_sync' });

    // The state the bug left behind: 2CO still holding `de`. Drift names it, a push repairs it.
    tco().modifyCustomer(tcoCopy(created.externalReference).CustomerReference, { Language: 'de' });
    expect((await driftOf(created.id))[TCO]).toEqual(
      expect.objectContaining({
        state: 'drifted',
        fields: [{ field: 'locale', at: 'Language', ours: 'fr', theirs: 'de' }],
      }),
    );
    const pushed = await api()
      .post(`/v1/customers/${created.id}/reconcile`)
      .set(auth)
      .send({ strategy: 'push' });
    expect(pushed.body.data.map((d: Drift) => d.state)).toEqual(['in_sync', 'in_sync']);
    expect(tcoCopy(created.externalReference).Language).toBe('fr');
  });

  it('sends a locale Digital River does not list as the nearest it holds, never the previous one', async () => {
    const created = await create({ locale: 'de-CH' });
    expect(drCopy(created.externalReference).locale).toBe('de_CH');
    await api().patch(`/v1/customers/${created.id}`).set(auth).send({ locale: 'en-GB' });
    await gateway.drain();
    expect(drCopy(created.externalReference).locale).toBe('en_US');
    let link = linkAt((await read(created.id)).body, DR);
    // The names are always held in part at DR (joined into one `shipping.name`).
    expect(link).toMatchObject({
      status: 'synced',
      lossyFields: ['givenName', 'familyName', 'locale'],
      unsupportedFields: [],
    });

    await api().patch(`/v1/customers/${created.id}`).set(auth).send({ locale: 'pt-BR' });
    await gateway.drain();
    expect(drCopy(created.externalReference).locale).toBe('en_US');
    link = linkAt((await read(created.id)).body, DR);
    expect(link).toMatchObject({ status: 'synced', unsupportedFields: ['locale'] });
    expect((await driftOf(created.id))[DR]).toMatchObject({ state: 'in_sync' });
  });

  it('clears a locale and a type at Digital River to its defaults, and settles', async () => {
    const created = await create({ locale: 'de-CH', type: 'business' });
    await api().patch(`/v1/customers/${created.id}`).set(auth).send({ locale: null, type: null });
    await gateway.drain();
    expect(drCopy(created.externalReference)).toMatchObject({ locale: 'en_US', type: 'individual' });
    const link = linkAt((await read(created.id)).body, DR);
    expect(link).toMatchObject({
      status: 'synced',
      unsupportedFields: [],
      lossyFields: ['givenName', 'familyName'],
    });
    expect((await driftOf(created.id))[DR]).toMatchObject({ state: 'in_sync', fields: [] });
  });

  it('names the sub-field that drifted, and adopts only it', async () => {
    const created = await create();
    const reference = tcoCopy(created.externalReference).CustomerReference;
    tco().modifyCustomer(reference, { City: 'Edina' });
    expect((await driftOf(created.id))[TCO]).toEqual(
      expect.objectContaining({
        state: 'drifted',
        fields: [{ field: 'address.city', at: 'City', ours: 'Minnetonka', theirs: 'Edina' }],
      }),
    );
    const adopted = await api()
      .post(`/v1/customers/${created.id}/reconcile`)
      .set(auth)
      .send({ strategy: 'adopt', from: { provider: TCO } });
    expect(adopted.body.data.map((d: Drift) => d.state)).toEqual(['in_sync', 'in_sync']);
    const { body } = await read(created.id);
    expect(body['address']).toEqual({ ...(johnSmith()['address'] as Json), city: 'Edina' });
    expect(drCopy(created.externalReference).shipping?.address?.city).toBe('Edina');
  });

  it('sees an edit of the one Digital River name as the part that changed', async () => {
    const created = await create();
    const shipping = drCopy(created.externalReference).shipping!;
    dr().modifyCustomer(created.externalReference, { shipping: { ...shipping, name: 'Jane Smith' } });
    expect((await driftOf(created.id))[DR]).toEqual(
      expect.objectContaining({
        state: 'drifted',
        fields: [{ field: 'givenName', at: 'shipping.name', ours: 'John', theirs: 'Jane' }],
      }),
    );
    await api().post(`/v1/customers/${created.id}/reconcile`).set(auth).send({ strategy: 'push' });
    expect(drCopy(created.externalReference).shipping?.name).toBe('John Smith');
  });
});
