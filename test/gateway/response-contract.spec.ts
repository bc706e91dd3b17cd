import { ResponseContract } from '../support/openapi-responses';

// The checker every HTTP-ring answer goes through (test/support/http-ring-setup.ts): it must find
// what a strict client would refuse, or the ring proves nothing.
describe('the response contract of the HTTP ring', () => {
  const contract = new ResponseContract();
  const json = (body: unknown) => Buffer.from(JSON.stringify(body));
  const problem = {
    type: 'urn:customer-sync:problem:customer_not_found',
    title: 'Not Found',
    status: 404,
    code: 'customer_not_found',
    detail: 'No customer with id "cus_x".',
    retryable: false,
    requestId: 'r-1',
    instance: '/v1/customers/cus_x',
  };
  const answer = (overrides: Partial<Parameters<ResponseContract['mismatches']>[0]>) =>
    contract.mismatches({
      method: 'GET',
      url: '/v1/customers/cus_x?expand=1',
      status: 404,
      headers: { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': 'r-1' },
      body: json(problem),
      ...overrides,
    });

  it('accepts an answer exactly as documented', () => {
    expect(answer({})).toEqual([]);
  });

  it('refuses an undocumented status, a missing or undocumented header and an undocumented media type', () => {
    expect(answer({ status: 418 })).toEqual(['status 418 is not documented']);
    expect(answer({ headers: { 'content-type': 'application/problem+json' } })).toEqual([
      'header X-Request-Id is required but missing',
    ]);
    expect(
      answer({ headers: { 'content-type': 'application/problem+json', 'x-request-id': 'r', etag: '"1"' } }),
    ).toEqual(['header etag is sent but not documented']);
    expect(answer({ headers: { 'content-type': 'text/html', 'x-request-id': 'r' } })).toEqual([
      'media type "text/html" is not documented (application/problem+json)',
    ]);
  });

  it('refuses a body with a field the schema does not declare, a null where none is allowed, a fraction for an integer', () => {
    expect(answer({ body: json({ ...problem, extra: 1 }) })).toEqual([
      expect.stringContaining('must NOT have additional properties'),
    ]);
    expect(answer({ body: json({ ...problem, detail: null }) })).toEqual([
      expect.stringContaining('/detail must be string'),
    ]);
    expect(answer({ body: json({ ...problem, status: 404.5 }) })).toEqual([
      expect.stringContaining('/status must be integer'),
    ]);
  });

  it("holds an event's data to its type's schema", () => {
    const event = {
      id: 'evt_1',
      type: 'customer.deleted',
      createdAt: '2026-12-07T00:00:00.000Z',
      customerId: 'cus_x',
      migrationId: null,
      actor: 'admin',
      requestId: 'r-1',
      data: { providersLeft: 2 },
    };
    const read = (body: unknown) =>
      answer({
        url: '/v1/events/evt_1',
        status: 200,
        headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
        body: json(body),
      });
    expect(read(event)).toEqual([]);
    expect(read({ ...event, data: { providersLeft: '2' } })).not.toEqual([]);
    expect(read({ ...event, type: 'customer.forgotten' })).not.toEqual([]);
  });

  it('leaves routes the document does not have to their own tests', () => {
    expect(answer({ url: '/nowhere', status: 404 })).toEqual([]);
  });
});
