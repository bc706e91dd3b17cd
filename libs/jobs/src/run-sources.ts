import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  JOB_ACTORS,
  jobContext,
  type JobRun,
  type MigrationRun,
  MigrationStore,
  ProviderAccounts,
  ProviderCallLog,
  type ReconciliationRun,
  type RemoteCustomer,
} from '@app/domain';

/** One page of a run's customers, with the cursor that resumes after it. */
export interface SourcePage {
  references: string[];
  /** The customers as the enumeration read them (the list API answers whole customers). */
  prefetched?: Map<string, RemoteCustomer>;
  cursor?: string;
  last: boolean;
}

/** A migration's source is read by the run itself, outside any migration budget (as before). */
const SOURCE_READS = jobContext(JOB_ACTORS.migration);

/**
 * Where each kind of run finds its customers, a page at a time from the run's checkpoint: a
 * migration its source (list API, mirror links, given references), a reconciliation the mirror's
 * linked customers.
 */
@Injectable()
export class RunSources {
  constructor(
    private readonly store: MigrationStore,
    private readonly accounts: ProviderAccounts,
    private readonly callLog: ProviderCallLog,
  ) {}

  pages(run: JobRun): AsyncGenerator<SourcePage> {
    return run.kind === 'migration' ? this.migrationSource(run, { audit: true }) : this.linkedCustomers(run);
  }

  /** A migration's source; a dry run reads it without recording its calls (`audit: false`). */
  async *migrationSource(run: MigrationRun, options: { audit: boolean }): AsyncGenerator<SourcePage> {
    const { source, batchSize } = run.spec;
    switch (source.kind) {
      case 'list': {
        const provider = this.accounts.get(source.provider, source.account);
        // A batch is at most one page: the provider says how long its pages may be.
        const limit = Math.min(batchSize, provider.capabilities.listPageSize ?? batchSize);
        for (let cursor = run.cursor; ;) {
          const list = (context: CallContext) =>
            provider.list({ limit, ...(cursor !== undefined ? { startingAfter: cursor } : {}) }, context);
          const page = await (options.audit
            ? this.callLog.run(SOURCE_READS, { operation: 'migrate' }, list)
            : list(SOURCE_READS));
          cursor = page.items.at(-1)?.reference ?? cursor;
          yield {
            references: page.items.map((item) => item.reference),
            prefetched: new Map(page.items.map((item) => [item.reference, item])),
            ...(cursor !== undefined ? { cursor } : {}),
            last: !page.hasMore,
          };
          if (!page.hasMore) return;
        }
      }
      case 'mirror':
        for (let cursor = run.cursor; ;) {
          const references = await this.store.linkedReferences(
            source.provider,
            source.account,
            cursor,
            batchSize,
          );
          cursor = references.at(-1) ?? cursor;
          const last = references.length < batchSize;
          yield { references, ...(cursor !== undefined ? { cursor } : {}), last };
          if (last) return;
        }
      case 'references': {
        if (source.references !== undefined) {
          yield { references: source.references, last: true };
          return;
        }
        yield* referencesFromFile(source.file!, Number(run.cursor ?? 0), batchSize);
      }
    }
  }

  /** Every customer of the mirror linked to a provider, by id: the items are customer ids. */
  private async *linkedCustomers(run: ReconciliationRun): AsyncGenerator<SourcePage> {
    for (let cursor = run.cursor; ;) {
      const ids = await this.store.linkedCustomerIds(cursor, run.spec.batchSize);
      cursor = ids.at(-1) ?? cursor;
      const last = ids.length < run.spec.batchSize;
      yield { references: ids, ...(cursor !== undefined ? { cursor } : {}), last };
      if (last) return;
    }
  }
}

/** A file of references, one per line (blank lines and `#` comments ignored); the cursor counts lines. */
async function* referencesFromFile(
  path: string,
  skipLines: number,
  batchSize: number,
): AsyncGenerator<SourcePage> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  let references: string[] = [];
  for await (const text of lines) {
    line++;
    if (line <= skipLines) continue;
    const reference = text.trim();
    if (reference !== '' && !reference.startsWith('#')) references.push(reference);
    if (references.length >= batchSize) {
      yield { references, cursor: String(line), last: false };
      references = [];
    }
  }
  yield { references, cursor: String(line), last: true };
}
