import { type Database, type Unlisten } from './database';
import { WorkNotifications } from './work-notifications';

/** A database whose `listen` fails until told otherwise, and whose notifications the test sends. */
function fakeDatabase() {
  const subscribers: (() => void)[] = [];
  const fake = {
    failing: true,
    attempts: 0,
    notify: () => subscribers.forEach((onNotify) => onNotify()),
    listen: (_channel: string, onNotify: () => void): Promise<Unlisten> => {
      fake.attempts++;
      if (fake.failing) return Promise.reject(new Error('connect ECONNREFUSED'));
      subscribers.push(onNotify);
      return Promise.resolve(() => Promise.resolve());
    },
  };
  return fake satisfies Pick<Database, 'listen'>;
}

describe('WorkNotifications', () => {
  it('waits out its timeout when it cannot subscribe, and subscribes again on the next wait', async () => {
    const database = fakeDatabase();
    const notifications = new WorkNotifications(database, 'outbox');

    // No notification can come: the worker sleeps its timeout instead of looking again at once.
    await expect(notifications.wait(5)).resolves.toBe(false);
    expect(database.attempts).toBe(1);
    await expect(notifications.wait(5)).resolves.toBe(false);
    expect(database.attempts).toBe(2);

    database.failing = false;
    // Subscribed at last: work committed while it was not may be waiting, so look now.
    await expect(notifications.wait(60_000)).resolves.toBe(true);
    expect(database.attempts).toBe(3);

    const woken = notifications.wait(60_000);
    database.notify();
    await expect(woken).resolves.toBe(true);
    expect(database.attempts).toBe(3);
  });

  it('returns at once after a notification that came while nobody waited', async () => {
    const database = fakeDatabase();
    database.failing = false;
    const notifications = new WorkNotifications(database, 'outbox');
    await notifications.wait(60_000);

    database.notify();
    await expect(notifications.wait(60_000)).resolves.toBe(true);
    await expect(notifications.wait(5)).resolves.toBe(false);
  });
});
