import { type MigrationItem, type RunKind } from '@app/domain';
import { type RunOf, type RunProgress, type RunService } from '@app/jobs';

import { type ListRunsQuery, type RunItemsPageQuery } from './run.dto';

/** A page of a run's customers: `next` is the `seq` to ask after, null on the last page. */
export interface RunItemPageAnswer<Item> {
  data: Item[];
  next: number | null;
}

/**
 * What the migrations and reconciliations controllers answer alike: a run's progress after a
 * read, a cancel or a resume, the paged list of runs and the paged list of a run's customers.
 * Each controller keeps its own routes and documentation and delegates its bodies here, so the
 * two kinds of run cannot drift apart in how they page, default or resume.
 */
export class RunEndpoints<K extends RunKind, Answer, Item> {
  constructor(
    private readonly runs: RunService<K>,
    private readonly answer: (progress: RunProgress<RunOf<K>>) => Answer,
    private readonly item: (item: MigrationItem) => Item,
  ) {}

  async get(id: string): Promise<Answer> {
    return this.answer(await this.runs.progress(id));
  }

  async list(query: ListRunsQuery): Promise<{ data: Answer[]; hasMore: boolean }> {
    const page = await this.runs.list({
      limit: query.limit ?? 20,
      ...(query.startingAfter !== undefined ? { startingAfter: query.startingAfter } : {}),
      ...(query.endingBefore !== undefined ? { endingBefore: query.endingBefore } : {}),
    });
    const data = await Promise.all(page.data.map((run) => this.get(run.id)));
    return { data, hasMore: page.hasMore };
  }

  async items(id: string, query: RunItemsPageQuery & { outcome?: string }): Promise<RunItemPageAnswer<Item>> {
    const size = query.limit ?? 100;
    const outcome = query.outcome as Parameters<RunService<K>['itemPage']>[3];
    const page = await this.runs.itemPage(id, query.after ?? 0, size, outcome);
    return {
      data: page.map(this.item),
      next: page.length === size ? (page.at(-1)?.seq ?? null) : null,
    };
  }

  async cancel(id: string): Promise<Answer> {
    await this.runs.cancel(id);
    return this.get(id);
  }

  /** Resumes the run and, when it is running again, drives it without holding the request. */
  async resume(id: string): Promise<Answer> {
    const run = await this.runs.resume(id);
    if (run.status === 'running') this.runs.driveInBackground(id);
    return this.get(id);
  }

  /** Drives a run just started without holding the request, and answers its first progress. */
  async started(id: string): Promise<Answer> {
    this.runs.driveInBackground(id);
    return this.get(id);
  }
}
