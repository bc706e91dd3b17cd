import { type MigrationProgress } from '@app/jobs';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export interface ProgressView {
  update(progress: MigrationProgress): void;
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

  update({ counts, ratePerSecond, etaSeconds }: MigrationProgress): void {
    this.bar.setTotal(counts.total);
    this.bar.update(counts.total - counts.pending, {
      rate: ratePerSecond.toFixed(1),
      eta_text: etaSeconds === undefined ? '…' : `${etaSeconds}s`,
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
  update({ run, counts, ratePerSecond, etaSeconds }: MigrationProgress): void {
    process.stdout.write(
      `${JSON.stringify({
        event: 'progress',
        run: run.id,
        status: run.status,
        enumerated: run.enumerated,
        counts,
        ratePerSecond,
        ...(etaSeconds !== undefined ? { etaSeconds } : {}),
      })}\n`,
    );
  }

  stop(): void {}
}
