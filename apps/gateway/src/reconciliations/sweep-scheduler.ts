import { type GatewayConfig } from '@app/config';
import { jobContext, JOB_ACTORS, ProviderAccounts } from '@app/domain';
import { ReconciliationService, RunEngine } from '@app/jobs';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { GATEWAY_CONFIG } from '../config/config.module';
import { PeriodicTask } from '../periodic-task';

/** Looks for a due sweep at most this often, and at least once per interval. */
const LOOK_EVERY_MS = 60_000;

/** The sweep's pace: customers in flight per process, and per unit of work. */
const SWEEP_CONCURRENCY = 4;
const SWEEP_BATCH = 100;

/**
 * Starts the sweep (issue 30): every SWEEP_INTERVAL_SECONDS, the copies at the providers that
 * announce no customer changes (`capabilities.changeNotifications: 'none'`, 2Checkout) are read
 * and compared with the mirror, as a reconciliation job (`trigger: sweep`, so its progress and
 * findings are in GET /v1/reconciliations), which hands each copy to ProviderChanges. Every
 * instance looks; the run engine lets one sweep run at a time across all of them, and the interval
 * is counted from the latest sweep any of them started (or from start-up). Off with SWEEP_INTERVAL_SECONDS=0, or when
 * no configured provider needs it.
 */
@Injectable()
export class SweepScheduler extends PeriodicTask {
  private readonly intervalMs: number;
  /** The first sweep comes one interval after start-up, not at once: restarts do not cause sweeps. */
  private readonly startedAt = Date.now();

  constructor(
    private readonly reconciliations: ReconciliationService,
    private readonly runs: RunEngine,
    private readonly accounts: ProviderAccounts,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    const intervalMs = config.SWEEP_INTERVAL_SECONDS * 1000;
    super(new Logger('Sweep'), Math.max(1_000, Math.min(intervalMs, LOOK_EVERY_MS)));
    this.intervalMs = intervalMs;
  }

  override onApplicationBootstrap(): void {
    if (this.intervalMs === 0 || !this.needed()) return;
    super.onApplicationBootstrap();
  }

  /**
   * Starts a sweep now unless one is running (an early sweep, e.g. for a hint from a provider
   * notification); resolves its run id, or undefined when one was already running.
   */
  async sweepNow(): Promise<string | undefined> {
    const run = await this.reconciliations.startSweep(jobContext(JOB_ACTORS.sweep), {
      concurrency: SWEEP_CONCURRENCY,
      providerShare: this.config.SWEEP_PROVIDER_SHARE,
      batchSize: SWEEP_BATCH,
    });
    if (run === undefined) return undefined;
    this.logger.log({ run: run.id }, 'sweep started');
    this.runs.driveInBackground(run.id);
    return run.id;
  }

  protected async runOnce(): Promise<void> {
    const latest = (await this.reconciliations.latestSweepStart())?.getTime() ?? 0;
    if (Date.now() - Math.max(latest, this.startedAt) < this.intervalMs) return;
    await this.sweepNow();
  }

  /** Whether any configured account announces no changes: only their copies are swept. */
  private needed(): boolean {
    return this.accounts.all().some((provider) => provider.capabilities.changeNotifications === 'none');
  }
}
