import { setTimeout as sleep } from 'node:timers/promises';

import { customerData, jobContext, JOB_ACTORS } from '@app/domain';
import {
  createTestDatabase,
  EventStore,
  PrismaCustomerRepository,
  recordEvent,
  type TestDatabase,
} from '@app/persistence';

/** The writer of the changes below: no request, a system job. */
const TEST_CONTEXT = jobContext(JOB_ACTORS.system);

const WRITERS = 8;
const EVENTS_PER_WRITER = 15;

/**
 * Writers draw event seqs concurrently and commit in any order (some linger before committing,
 * holding their seq); a reader tails GET /v1/events' query by cursor all the while. Whatever the
 * interleaving, the tail must end up with every event, in seq order: a reader that paged past a
 * seq whose transaction had not committed yet would never see that event.
 */
describe('the event log under concurrent writers', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it('never lets a tailing reader page past an event that commits later', async () => {
    const repository = new PrismaCustomerRepository(database);
    const events = new EventStore(database.prisma);

    const writer = async (writerNo: number) => {
      for (let n = 0; n < EVENTS_PER_WRITER; n++) {
        if (n % 3 === 0) {
          // The one-statement path: customer, links and event committed together.
          await repository.insert(TEST_CONTEXT, `cus_w${writerNo}_${n}`, customerData(), []);
        } else {
          await database.prisma.$transaction(async (tx) => {
            await recordEvent(
              tx,
              { type: 'customer.link.synced', customerId: `cus_w${writerNo}`, data: { n } },
              jobContext(JOB_ACTORS.sync),
            );
            // Holds the drawn seq uncommitted for a while, so later seqs commit first.
            await sleep((writerNo * 7 + n * 3) % 11);
          });
        }
      }
    };

    let writing = true;
    const written = Promise.all(Array.from({ length: WRITERS }, (_, writerNo) => writer(writerNo))).finally(
      () => {
        writing = false;
      },
    );

    const tailed: string[] = [];
    // Done once a page read after the last write has nothing more.
    for (;;) {
      const startingAfter = tailed.at(-1);
      const afterTheLastWrite = !writing;
      const page = await events.list({ limit: 7, ...(startingAfter !== undefined ? { startingAfter } : {}) });
      tailed.push(...page.data.map((event) => event.id));
      if (afterTheLastWrite && !page.hasMore) break;
    }
    await written;

    const all = await database.prisma.event.findMany({ orderBy: { seq: 'asc' }, select: { id: true } });
    expect(all).toHaveLength(WRITERS * EVENTS_PER_WRITER);
    expect(tailed).toEqual(all.map((event) => event.id));
  });
});
