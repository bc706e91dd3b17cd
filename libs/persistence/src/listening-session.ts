import { Logger } from '@nestjs/common';
import { retryDelayMs } from '@app/domain';
import { Client } from 'pg';

import { quoteIdentifier } from './migrations/migration-session';

/**
 * How soon a lost session is opened again: at once after a blip, no more often than every 10 s
 * while PostgreSQL stays away (a restart, a failover, a connection killed by a proxy or by
 * `pg_terminate_backend`).
 */
const REOPEN_BACKOFF = { baseMs: 100, maxMs: 10_000 };

export interface ListeningSessionEvents {
  /** A NOTIFY on the channel, with its payload. */
  notification(payload: string | undefined): void;
  /**
   * The session was lost and is listening again. Notifications sent in between reached no one,
   * so whatever they announced may be waiting.
   */
  reopened(): void;
}

/**
 * A `LISTEN` on a session of its own (pooled connections come and go between queries) that
 * outlives its connection: when the session is lost it is opened again, with backoff, until
 * `stop()`. https://www.postgresql.org/docs/current/sql-listen.html
 */
export class ListeningSession {
  private readonly logger = new Logger('Database');
  private client: Client | undefined;
  /** The session being opened, settled or not; `stop()` waits for it. */
  private opening: Promise<unknown> = Promise.resolve();
  private reopenTimer: NodeJS.Timeout | undefined;
  private failedReopens = 0;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly events: ListeningSessionEvents,
  ) {}

  /** Listening once this resolves; rejects when the first session cannot be opened. */
  start(): Promise<void> {
    return this.open();
  }

  /** Ends the session and any reopening: nothing is left to keep the process alive. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    // A pg client cannot be ended halfway through connecting: let the open settle first.
    await this.opening.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
  }

  private open(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString });
    this.client = client;
    let listening = false;
    // The reason is in the 'end' that follows; an 'error' without a listener would crash the process.
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.events.notification(message.payload);
    });
    client.once('end', () => {
      if (listening && !this.stopped) this.lost();
    });
    const opened = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      if (this.stopped) await client.end().catch(() => undefined);
      else listening = true;
    })();
    this.opening = opened;
    return opened;
  }

  private lost(): void {
    this.logger.warn({ channel: this.channel }, 'the LISTEN session was lost; opening it again');
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    const delayMs = retryDelayMs(++this.failedReopens, REOPEN_BACKOFF);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.stopped) return;
      this.open().then(
        () => {
          if (this.stopped) return;
          this.logger.log(
            { channel: this.channel, attempts: this.failedReopens },
            'the LISTEN session is open again',
          );
          this.failedReopens = 0;
          this.events.reopened();
        },
        () => {
          if (!this.stopped) this.scheduleReopen();
        },
      );
    }, delayMs);
    // Idle waiting, not work: the process may exit while the database is away.
    this.reopenTimer.unref();
  }
}
