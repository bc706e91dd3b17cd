import { createHash } from 'node:crypto';

import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';

import { type Database } from './database';

/**
 * Who is alive and holding a key (an Idempotency-Key, say), so that another attempt can take a key
 * over the moment its holder is dead and never while it is alive, with no timeout to wait out.
 */
export abstract class KeyHolders {
  /** Holds `key` for the caller; resolves false when a live holder, here or elsewhere, has it. */
  abstract hold(key: string): Promise<boolean>;
  /** Lets `key` go (a key not held is ignored). */
  abstract release(key: string): Promise<void>;
}

/**
 * One process is every holder there is (the embedded PGlite allows one): a key this process does
 * not hold has no live holder, so one left by a process that died is free at once.
 */
export class InProcessKeyHolders extends KeyHolders {
  private readonly held = new Set<string>();

  hold(key: string): Promise<boolean> {
    if (this.held.has(key)) return Promise.resolve(false);
    this.held.add(key);
    return Promise.resolve(true);
  }

  release(key: string): Promise<void> {
    this.held.delete(key);
    return Promise.resolve();
  }
}

/**
 * Holders spread over processes sharing a PostgreSQL database: each key is a session-level
 * advisory lock on one connection this process keeps for all its keys. The server releases a
 * session's locks when its connection ends, so a key whose process died (a SIGKILL, an OOM kill, a
 * lost host, once the server notices) is free at once, and a live holder's key never is.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 *
 * Advisory locks are re-entrant within a session, so keys held in this process are also kept
 * here: a second request of this process for a key it holds is refused without asking the server.
 * Cost: one connection per instance, beside the pool. If that connection is lost, the keys it held
 * are free to other instances while their requests still run here (a retry elsewhere then resumes
 * from the key's recovery point, which never applies a change twice); the next hold opens a new one.
 */
export class SessionLockKeyHolders extends KeyHolders implements OnApplicationShutdown {
  private readonly logger = new Logger('KeyHolders');
  private readonly local = new InProcessKeyHolders();
  private session: Promise<Client> | undefined;

  constructor(
    private readonly connectionString: string,
    /** Locks are per database, not per schema: the schema is part of each lock's id. */
    private readonly schema: string,
  ) {
    super();
  }

  async hold(key: string): Promise<boolean> {
    if (!(await this.local.hold(key))) return false;
    let held = false;
    try {
      const client = await this.connection();
      const { rows } = await client.query<{ held: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS held',
        [this.lockId(key)],
      );
      held = rows[0]?.held === true;
      return held;
    } finally {
      if (!held) await this.local.release(key);
    }
  }

  async release(key: string): Promise<void> {
    try {
      const client = await this.connection();
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockId(key)]);
    } finally {
      // Only now: until the server has let go, a request of this process must not take the key.
      await this.local.release(key);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) await (await session.catch(() => undefined))?.end();
  }

  /** The lock's 64-bit id: the first 8 bytes of a digest of the schema and the key. */
  private lockId(key: string): string {
    return createHash('sha256').update(`${this.schema}\0${key}`).digest().readBigInt64BE(0).toString();
  }

  private connection(): Promise<Client> {
    if (this.session !== undefined) return this.session;
    const client = new Client({ connectionString: this.connectionString, application_name: 'key-holders' });
    const session = client.connect().then(() => client);
    this.session = session;
    const forget = (): void => {
      if (this.session === session) this.session = undefined;
    };
    client.on('error', (error) => {
      this.logger.warn(
        { error: error.name },
        'key holders session lost; its keys are free to other instances',
      );
      forget();
    });
    session.catch(forget);
    return session;
  }
}

/** The key holders that fit the database: advisory locks on PostgreSQL, this process on PGlite. */
export function keyHoldersFor(database: Pick<Database, 'postgres'>): KeyHolders {
  return database.postgres === undefined
    ? new InProcessKeyHolders()
    : new SessionLockKeyHolders(database.postgres.connectionString, database.postgres.schema);
}
