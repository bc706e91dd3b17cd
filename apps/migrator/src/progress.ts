import { type MigrationCounts, type MigrationRun } from '@app/migration';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** One look at a run's counts; rate and ETA come from the last samples. */
export interface ProgressSample {
  at: number;
  counts: MigrationCounts;
}

const done = (counts: MigrationCounts) => counts.total - counts.pending;

/** Customers per second over the samples kept (a sliding window, so resumes and pauses show). */
export function rateOf(samples: readonly ProgressSample[]): number {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined || last.at <= first.at) return 0;
  return ((done(last.counts) - done(first.counts)) * 1000) / (last.at - first.at);
}

/** Seconds left, when the whole source is known and something moves. */
export function etaOf(run: MigrationRun, counts: MigrationCounts, rate: number): number | undefined {
  if (!run.enumerated || rate <= 0) return undefined;
  return Math.round(counts.pending / rate);
}

export interface ProgressView {
  update(run: MigrationRun, counts: MigrationCounts, rate: number): void;
  stop(): void;
}

/** A bar with rate, ETA and outcome counts, for a terminal. */
export class ProgressBar implements ProgressView {
  private readonly bars = new MultiBar(
    {
      format:
        ' {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_text} | migrated {migrated} · present {present} · skipped {skipped} · failed {failed}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  private readonly bar: SingleBar;

  constructor() {
    this.bar = this.bars.create(0, 0);
  }

  update(run: MigrationRun, counts: MigrationCounts, rate: number): void {
    const eta = etaOf(run, counts, rate);
    this.bar.setTotal(counts.total);
    this.bar.update(done(counts), {
      rate: rate.toFixed(1),
      eta_text: eta === undefined ? '…' : `${eta}s`,
      migrated: counts.migrated,
      present: counts.already_present,
      skipped: counts.skipped,
      failed: counts.failed,
    });
  }

  stop(): void {
    this.bars.stop();
  }
}

/** One JSON line per update on stdout, for logs and pipes. */
export class JsonLines implements ProgressView {
  update(run: MigrationRun, counts: MigrationCounts, rate: number): void {
    const eta = etaOf(run, counts, rate);
    process.stdout.write(
      `${JSON.stringify({
        event: 'progress',
        run: run.id,
        status: run.status,
        enumerated: run.enumerated,
        counts,
        ratePerSecond: Math.round(rate * 10) / 10,
        ...(eta !== undefined ? { etaSeconds: eta } : {}),
      })}\n`,
    );
  }

  stop(): void {}
}
