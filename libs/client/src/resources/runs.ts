import { type Client } from 'openapi-fetch';

import { type components, type operations, type paths } from '../generated/openapi.js';
import { paginate, paginateByCursor } from '../pagination.js';
import { bodyOf, callInit, type RequestOptions, type WriteOptions } from '../request.js';
import { type Send } from '../retry.js';

type Schemas = components['schemas'];
export type Migration = Schemas['MigrationResponse'];
export type MigrationPlan = Schemas['MigrationPlanResponse'];
export type StartMigration = Schemas['StartMigrationBody'];
export type MigrationItem = Schemas['MigrationItemPage']['data'][number];
export type MigrationItemsQuery = Omit<
  NonNullable<operations['listMigrationItems']['parameters']['query']>,
  'after'
>;
export type Reconciliation = Schemas['ReconciliationResponse'];
export type StartReconciliation = Schemas['StartReconciliationBody'];
export type ReconciliationItem = Schemas['ReconciliationItemPage']['data'][number];
export type ReconciliationItemsQuery = Omit<
  NonNullable<operations['listReconciliationItems']['parameters']['query']>,
  'after'
>;
/** How many runs each page fetches (the loop still reads them all). */
export interface RunListQuery {
  limit?: number;
}

/** `client.migrations`: moving customers from one provider account to another, as a background run. */
export function migrationsResource(api: Client<paths>, send: Send) {
  const path = (id: string) => ({ path: { id } });

  function start(body: StartMigration & { dryRun?: false }, options?: WriteOptions): Promise<Migration>;
  function start(body: StartMigration & { dryRun: true }, options?: WriteOptions): Promise<MigrationPlan>;
  function start(body: StartMigration, options?: WriteOptions): Promise<Migration | MigrationPlan>;
  /** Starts a run (answered at once, while it runs); `dryRun: true` answers its plan instead. */
  async function start(body: StartMigration, options: WriteOptions = {}): Promise<Migration | MigrationPlan> {
    return bodyOf(await api.POST('/v1/migrations', { body, ...callInit(send, options) }));
  }

  return {
    start,
    async get(id: string, options: RequestOptions = {}): Promise<Migration> {
      return bodyOf(await api.GET('/v1/migrations/{id}', { params: path(id), ...callInit(send, options) }));
    },
    /** Every run, newest first. */
    list(query: RunListQuery = {}, options: RequestOptions = {}): AsyncGenerator<Migration, void, undefined> {
      return paginate(async (startingAfter) =>
        bodyOf(
          await api.GET('/v1/migrations', {
            params: { query: { ...query, ...(startingAfter === undefined ? {} : { startingAfter }) } },
            ...callInit(send, options),
          }),
        ),
      );
    },
    async cancel(id: string, options: RequestOptions = {}): Promise<Migration> {
      return bodyOf(
        await api.POST('/v1/migrations/{id}/cancel', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** Resumes a run that stopped (cancelled, or its worker died) where it left off. */
    async resume(id: string, options: RequestOptions = {}): Promise<Migration> {
      return bodyOf(
        await api.POST('/v1/migrations/{id}/resume', { params: path(id), ...callInit(send, options) }),
      );
    },
    items: {
      /** The run's customers in the order it took them, with their outcome. */
      list(
        id: string,
        query: MigrationItemsQuery = {},
        options: RequestOptions = {},
      ): AsyncGenerator<MigrationItem, void, undefined> {
        return paginateByCursor(async (after) =>
          bodyOf(
            await api.GET('/v1/migrations/{id}/items', {
              params: { ...path(id), query: { ...query, ...(after === undefined ? {} : { after }) } },
              ...callInit(send, options),
            }),
          ),
        );
      },
    },
  };
}

/** `client.reconciliations`: comparing every customer with its provider copies, as a background run. */
export function reconciliationsResource(api: Client<paths>, send: Send) {
  const path = (id: string) => ({ path: { id } });
  return {
    /** Starts a run (answered at once, while it runs); `repair: true` also pushes the mirror where it drifted. */
    async start(body: StartReconciliation = {}, options: WriteOptions = {}): Promise<Reconciliation> {
      return bodyOf(await api.POST('/v1/reconciliations', { body, ...callInit(send, options) }));
    },
    async get(id: string, options: RequestOptions = {}): Promise<Reconciliation> {
      return bodyOf(
        await api.GET('/v1/reconciliations/{id}', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** Every run, newest first. */
    list(
      query: RunListQuery = {},
      options: RequestOptions = {},
    ): AsyncGenerator<Reconciliation, void, undefined> {
      return paginate(async (startingAfter) =>
        bodyOf(
          await api.GET('/v1/reconciliations', {
            params: { query: { ...query, ...(startingAfter === undefined ? {} : { startingAfter }) } },
            ...callInit(send, options),
          }),
        ),
      );
    },
    async cancel(id: string, options: RequestOptions = {}): Promise<Reconciliation> {
      return bodyOf(
        await api.POST('/v1/reconciliations/{id}/cancel', { params: path(id), ...callInit(send, options) }),
      );
    },
    async resume(id: string, options: RequestOptions = {}): Promise<Reconciliation> {
      return bodyOf(
        await api.POST('/v1/reconciliations/{id}/resume', { params: path(id), ...callInit(send, options) }),
      );
    },
    items: {
      /** The run's customers in the order it checked them, with their outcome and drift. */
      list(
        id: string,
        query: ReconciliationItemsQuery = {},
        options: RequestOptions = {},
      ): AsyncGenerator<ReconciliationItem, void, undefined> {
        return paginateByCursor(async (after) =>
          bodyOf(
            await api.GET('/v1/reconciliations/{id}/items', {
              params: { ...path(id), query: { ...query, ...(after === undefined ? {} : { after }) } },
              ...callInit(send, options),
            }),
          ),
        );
      },
    },
  };
}
