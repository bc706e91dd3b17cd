import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';

import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  DomainError,
  JOB_ACTORS,
  jobContext,
  type MigrationRun,
  type MigrationSpec,
  ProviderAccounts,
  type ProviderTarget,
  SOURCE_ACTIONS,
  SOURCE_KINDS,
  type SourceAction,
  type SourceKind,
} from '@app/domain';
import { type MigrationProgress, MigrationService } from '@app/jobs';
import { ConfigError, type GatewayConfig, loadGatewayConfig, tracesExporter } from '@app/config';
import { openConfiguredDatabase } from '@app/persistence';
import { startTelemetry } from '@app/telemetry';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Logger } from 'nestjs-pino';

import { MigratorModule } from './migrator.module';
import { JsonLines, ProgressBar, type ProgressView } from './progress';

/** Exit codes: scripts tell a clean run from one with failed customers or one that did not finish. */
const EXIT = { completed: 0, usage: 1, failedCustomers: 2, unfinished: 3, interrupted: 130 } as const;

const interactive = process.stdout.isTTY;

async function open(config: GatewayConfig, work: boolean): Promise<INestApplicationContext> {
  if (config.PROVIDER_ACCOUNTS === undefined) {
    throw new ConfigError(['PROVIDER_ACCOUNTS: the migrator needs the provider accounts to migrate between']);
  }
  // As in the gateway: a delivery's log lines name its customer, and with tracing configured each
  // delivery and provider call is a span. Flushed once the command is done and the loop is empty.
  const telemetry = await startTelemetry({
    exporter: tracesExporter(config),
    serviceName: config.OTEL_SERVICE_NAME,
  });
  process.once('beforeExit', () => void telemetry.shutdown());
  const app = await NestFactory.createApplicationContext(
    MigratorModule.register({
      config,
      providerAccounts: config.PROVIDER_ACCOUNTS,
      work,
      openDatabase: () => openConfiguredDatabase(config),
    }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  return app;
}

/** `provider` or `provider/account`; the account defaults to the provider's first configured one. */
function accountOf(accounts: ProviderAccounts, value: string, option: string): ProviderTarget {
  const [provider = '', account] = value.split('/');
  const found = accounts
    .all()
    .find((p) => p.provider === provider && (account === undefined || p.account === account));
  if (found === undefined) throw new InvalidArgumentError(`${option}: no account "${value}" is configured`);
  return { provider: found.provider, account: found.account };
}

const integer = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('an integer');
  return parsed;
};
const fraction = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError('a number such as 0.2');
  return parsed;
};

interface RunOptions {
  from?: string;
  to?: string;
  source?: SourceKind;
  references?: string;
  cutover?: boolean;
  sourceAction: SourceAction;
  concurrency: number;
  liveShare: number;
  batchSize: number;
  dryRun?: boolean;
  force?: boolean;
  resume?: string | true;
  report?: string;
}

function specOf(accounts: ProviderAccounts, options: RunOptions): MigrationSpec {
  if (options.from === undefined || options.to === undefined) {
    throw new InvalidArgumentError('--from and --to are required for a new run (or pass --resume)');
  }
  const source = accountOf(accounts, options.from, '--from');
  const target = accountOf(accounts, options.to, '--to');
  const canList =
    accounts.get(source.provider, source.account).capabilities.operations.list.support !== 'none';
  const kind: SourceKind =
    options.source ?? (options.references !== undefined ? 'references' : canList ? 'list' : 'mirror');
  return {
    source: {
      ...source,
      kind,
      ...(options.references !== undefined ? { file: resolve(options.references) } : {}),
    },
    target,
    ...(options.cutover === true ? { cutover: { primary: true, source: options.sourceAction } } : {}),
    concurrency: options.concurrency,
    liveShare: options.liveShare,
    batchSize: options.batchSize,
    ...(options.force === true ? { force: true } : {}),
  };
}

function say(human: string, json: Record<string, unknown>): void {
  if (interactive) process.stdout.write(`${human}\n`);
  else process.stdout.write(`${JSON.stringify(json)}\n`);
}

async function dryRun(service: MigrationService, spec: MigrationSpec, reportPath?: string): Promise<number> {
  const report = reportPath === undefined ? undefined : createWriteStream(reportPath);
  report?.write('{"items":[');
  let first = true;
  const plan = await service.plan(spec, (item) => {
    // The whole plan, one customer per line: target payload and lossy fields included.
    process.stdout.write(`${JSON.stringify({ event: 'planned', ...item })}\n`);
    report?.write(`${first ? '' : ','}\n${JSON.stringify(item)}`);
    first = false;
  });
  if (report !== undefined) {
    report.end(
      `\n],"counts":${JSON.stringify(plan.counts)},"lossyFields":${JSON.stringify(plan.lossyFields)}}\n`,
    );
    await once(report, 'finish');
  }
  const c = plan.counts;
  say(
    `Dry run: ${c.total} customers: ${c.migrate} to migrate, ${c.already_present} already present, ${c.skip} skipped. Nothing was written.` +
      lossyLine(plan.lossyFields),
    { event: 'plan', ...plan },
  );
  return EXIT.completed;
}

function lossyLine(lossy: Record<string, number>): string {
  const entries = Object.entries(lossy);
  if (entries.length === 0) return '';
  return `\nLossy at the target: ${entries.map(([field, n]) => `${field} (${n})`).join(', ')}`;
}

/** Streams the report (every customer's outcome) to a JSON file: memory stays flat at any size. */
async function writeReport(
  service: MigrationService,
  progress: MigrationProgress,
  path: string,
): Promise<void> {
  const { run, counts, lossyFields } = progress;
  const out = createWriteStream(path);
  const header = {
    id: run.id,
    status: run.status,
    source: {
      provider: run.spec.source.provider,
      account: run.spec.source.account,
      kind: run.spec.source.kind,
    },
    target: run.spec.target,
    cutover: run.spec.cutover ?? null,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt ?? null,
    counts,
    lossyFields,
  };
  out.write(`${JSON.stringify(header).slice(0, -1)},"items":[`);
  let first = true;
  for await (const item of service.items(run.id)) {
    const line = `${first ? '' : ','}\n${JSON.stringify(item)}`;
    first = false;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end('\n]}\n');
  await once(out, 'finish');
}

function watch(service: MigrationService, run: MigrationRun): () => Promise<void> {
  const view: ProgressView = interactive ? new ProgressBar() : new JsonLines();
  // The bar and the JSON lines show counts, rate and ETA; the lossy fields come with the summary.
  const tick = async () => view.update(await service.progress(run.id, { fieldTotals: false }));
  let ticking: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      ticking = ticking.then(tick).catch(() => undefined);
    },
    interactive ? 500 : 2_000,
  );
  return async () => {
    clearInterval(timer);
    await ticking;
    await tick();
    view.stop();
  };
}

async function runCommand(options: RunOptions): Promise<number> {
  const config = loadGatewayConfig();
  const app = await open(config, true);
  const service = app.get(MigrationService);
  const accounts = app.get(ProviderAccounts);
  try {
    if (options.dryRun === true) return await dryRun(service, specOf(accounts, options), options.report);
    let run: MigrationRun;
    if (options.resume !== undefined) {
      const id =
        options.resume === true
          ? (await service.list({ limit: 100 })).data.find((r) => r.status !== 'completed')?.id
          : options.resume;
      if (id === undefined) throw new InvalidArgumentError('--resume: there is no unfinished run to resume');
      run = await service.resume(id);
      say(`Resuming ${run.id}`, { event: 'resumed', run: run.id, status: run.status });
    } else {
      run = await service.start(jobContext(JOB_ACTORS.migration), specOf(accounts, options));
      say(`Started ${run.id} (resume with: migrator run --resume ${run.id})`, {
        event: 'started',
        run: run.id,
      });
    }
    // Stopped now, the run resumes from its checkpoint. It is marked `interrupted` first, so its
    // status says so (and how to resume it) rather than `running`; a second signal, or a database
    // that does not answer within a few seconds, exits without waiting (the stale heartbeat then
    // tells the same, see RUN_HEARTBEAT_STALE_MS).
    const interrupted = (signal: NodeJS.Signals) => {
      for (const other of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(other);
      for (const other of ['SIGINT', 'SIGTERM'] as const)
        process.once(other, () => process.exit(EXIT.interrupted));
      const resume = `migrator run --resume ${run.id}`;
      void Promise.race([service.interrupt(run.id), new Promise((resolve) => setTimeout(resolve, 5_000))])
        .catch(() => undefined)
        .finally(() => {
          say(`\nInterrupted (${signal}); ${run.id} is interrupted. Resume with: ${resume}`, {
            event: 'interrupted',
            run: run.id,
            status: 'interrupted',
            resume: { command: resume, endpoint: `POST /v1/migrations/${run.id}/resume` },
          });
          process.exit(EXIT.interrupted);
        });
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    const stopWatching = watch(service, run);
    const ended = await service.drive(run.id);
    await stopWatching();
    const progress = await service.progress(ended.id);
    const reportPath = resolve(options.report ?? `migration-${ended.id}.json`);
    await writeReport(service, progress, reportPath);
    const { counts } = progress;
    const summary =
      `${ended.id} ${ended.status}: ${counts.total} customers: ${counts.migrated} migrated, ` +
      `${counts.already_present} already present, ${counts.skipped} skipped, ${counts.failed} failed` +
      (counts.pending > 0 ? `, ${counts.pending} pending` : '') +
      lossyLine(progress.lossyFields) +
      `\nReport: ${reportPath}`;
    if (interactive) process.stdout.write(`${summary}\n`);
    else {
      process.stderr.write(`${summary}\n`);
      process.stdout.write(
        `${JSON.stringify({
          event: 'finished',
          run: ended.id,
          status: ended.status,
          counts,
          report: reportPath,
          // The process's high-water mark of resident memory, for the memory benchmark.
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
        })}\n`,
      );
    }
    if (ended.status !== 'completed') return EXIT.unfinished;
    return counts.failed > 0 ? EXIT.failedCustomers : EXIT.completed;
  } finally {
    await app.close();
  }
}

/** Works pg-boss batches of every run until SIGTERM (scale-out on PostgreSQL). */
async function workerCommand(): Promise<number> {
  const config = loadGatewayConfig();
  if (config.DATABASE_URL === undefined) {
    throw new ConfigError(['DATABASE_URL: worker processes share runs through pg-boss on PostgreSQL']);
  }
  const app = await open(config, true);
  say('Working migration batches; stop with SIGTERM', { event: 'worker_started', pid: process.pid });
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  await app.close();
  return EXIT.completed;
}

async function statusCommand(id: string, cancel: boolean): Promise<number> {
  const app = await open(loadGatewayConfig(), false);
  try {
    const service = app.get(MigrationService);
    if (cancel) await service.cancel(id);
    const { run, counts, lossyFields, resume } = await service.progress(id);
    const resumeLine = resume === undefined ? '' : `\nResume with: ${resume.command ?? resume.endpoint}`;
    say(`${run.id} ${run.status}: ${JSON.stringify(counts)}${lossyLine(lossyFields)}${resumeLine}`, {
      event: 'status',
      run: run.id,
      status: run.status,
      enumerated: run.enumerated,
      counts,
      lossyFields,
      ...(resume !== undefined ? { resume } : {}),
    });
    return EXIT.completed;
  } finally {
    await app.close();
  }
}

function program(): Command {
  const cli = new Command('migrator')
    .description('Moves a whole customer base between provider accounts, resumable and verified.')
    .showHelpAfterError();
  cli
    .command('run')
    .description('start a migration (or --resume one) and drive it to the end')
    .option('--from <provider[/account]>', 'source account, e.g. digital-river/live')
    .option('--to <provider[/account]>', 'target account, e.g. two-checkout/eu')
    .addOption(
      new Option('--source <kind>', 'how the source is enumerated (default: list if the source can)').choices(
        SOURCE_KINDS,
      ),
    )
    .option('--references <file>', 'a file of source references, one per line (2Checkout has no list API)')
    .option('--cutover', 'mark the target as each customer’s system of record')
    .addOption(
      new Option('--source-action <action>', 'with --cutover: what to do with the source copy')
        .choices(SOURCE_ACTIONS)
        .default('keep'),
    )
    .option('--concurrency <n>', 'customers in flight per process', integer, 8)
    .option('--live-share <fraction>', "share of each provider's limit left to the live API", fraction, 0.2)
    .option('--batch-size <n>', 'customers per batch', integer, 100)
    .option('--dry-run', 'print the whole plan and write nothing')
    .option('--force', 'start although another run over the same source and target is running')
    .option(
      '--resume [id]',
      'continue a run from its checkpoint, retrying failures that may pass (default: the newest unfinished)',
    )
    .option('--report <file>', 'where to write the JSON report (default: migration-<id>.json)')
    .action(async (options: RunOptions) => {
      process.exitCode = await runCommand(options);
    });
  cli
    .command('worker')
    .description('work batches of every run through pg-boss until SIGTERM (PostgreSQL only)')
    .action(async () => {
      process.exitCode = await workerCommand();
    });
  cli
    .command('status <id>')
    .description('show a run’s progress')
    .action(async (id: string) => {
      process.exitCode = await statusCommand(id, false);
    });
  cli
    .command('cancel <id>')
    .description('cancel a run; resume it later with run --resume <id>')
    .action(async (id: string) => {
      process.exitCode = await statusCommand(id, true);
    });
  return cli;
}

program()
  .parseAsync()
  .catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof InvalidArgumentError) {
      process.stderr.write(`${error.message}\n`);
    } else if (error instanceof DomainError) {
      const fields = error.fieldErrors.map((e) => `\n  - ${e.field}: ${e.message}`).join('');
      process.stderr.write(`${error.message}${fields}\n`);
    } else {
      process.stderr.write(
        `The migrator failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exitCode = EXIT.usage;
  });
