import request from 'supertest';

import { bearer, KEYS, type RunningGateway, startGateway } from '../support/gateway';

describe('cursor pagination', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.reader);
  const writer = bearer(KEYS.writer);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const create = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await request(gateway.url)
        .post('/v1/customers')
        .set(writer)
        .send({ metadata: { n: String(i) } });
      ids.push(res.body.id as string);
    }
    return ids;
  };
  const page = async (query: Record<string, string | number>) => {
    const res = await request(gateway.url).get('/v1/customers').query(query).set(auth);
    expect(res.status).toBe(200);
    return {
      ids: (res.body.data as { id: string }[]).map((c) => c.id),
      hasMore: res.body.hasMore as boolean,
    };
  };

  it('defaults to 10, newest first', async () => {
    const ids = await create(12);
    const first = await page({});
    expect(first.ids).toEqual(ids.slice(-10).reverse());
    expect(first.hasMore).toBe(true);
  });

  it('walks forwards then backwards with inserts in between, without duplicates or gaps', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let hasMore = true;
    let inserted = 0;
    while (hasMore) {
      const next = await page({ limit: 3, ...(cursor ? { startingAfter: cursor } : {}) });
      seen.push(...next.ids);
      hasMore = next.hasMore;
      cursor = next.ids.at(-1);
      // New customers land at the front and must not shift what later pages hold.
      if (inserted < 4) inserted += (await create(1)).length;
    }
    const everyone = await gateway.prisma.customer.findMany({
      orderBy: { seq: 'desc' },
      select: { id: true },
    });
    const existingAtStart = everyone.map((c) => c.id).slice(inserted);
    expect(seen).toEqual(existingAtStart);
    expect(new Set(seen).size).toBe(seen.length);

    // Back from the oldest page to the newest with endingBefore.
    const back: string[] = [];
    let before: string | undefined = seen.at(-1);
    back.unshift(before!);
    hasMore = true;
    while (hasMore) {
      const prev = await page({ limit: 4, endingBefore: before! });
      back.unshift(...prev.ids);
      hasMore = prev.hasMore;
      before = prev.ids[0];
    }
    expect(back).toEqual(everyone.map((c) => c.id));
  });

  it('reports hasMore false on the last page and an empty page past the end', async () => {
    const all = await gateway.prisma.customer.findMany({ orderBy: { seq: 'desc' }, select: { id: true } });
    const oldest = all.at(-1)!.id;
    const secondOldest = all.at(-2)!.id;
    expect(await page({ startingAfter: secondOldest, limit: 5 })).toEqual({ ids: [oldest], hasMore: false });
    expect(await page({ startingAfter: oldest })).toEqual({ ids: [], hasMore: false });
    const newest = all[0]!.id;
    expect(await page({ endingBefore: newest })).toEqual({ ids: [], hasMore: false });
  });

  it('uses endingBefore when both cursors are given, as Digital River does', async () => {
    const all = await gateway.prisma.customer.findMany({ orderBy: { seq: 'desc' }, select: { id: true } });
    const ids = all.map((c) => c.id);
    const res = await page({ limit: 2, startingAfter: ids[0]!, endingBefore: ids[5]! });
    expect(res.ids).toEqual([ids[3], ids[4]]);
  });

  it('pages through a filtered list', async () => {
    const tagged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(gateway.url)
        .post('/v1/customers')
        .set(writer)
        .send({ email: 'paged@example.test' });
      tagged.push(res.body.id as string);
      await create(1);
    }
    const one = await page({ email: 'paged@example.test', limit: 2 });
    const two = await page({ email: 'paged@example.test', limit: 2, startingAfter: one.ids[1]! });
    const three = await page({ email: 'paged@example.test', limit: 2, startingAfter: two.ids[1]! });
    expect([...one.ids, ...two.ids, ...three.ids]).toEqual(tagged.reverse());
    expect([one.hasMore, two.hasMore, three.hasMore]).toEqual([true, true, false]);
  });
});
