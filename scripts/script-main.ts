/**
 * What every generator script with a `--check` ends with (scripts/config-table.ts,
 * scripts/field-tables.ts): its problems on stderr and a failing exit, or a clean one.
 */
export function failOnProblems(problems: readonly string[]): void {
  if (problems.length === 0) return;
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}

/** Runs a script's `main`, printing what it threw and exiting 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
