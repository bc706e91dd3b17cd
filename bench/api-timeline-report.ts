/**
 * What bench:api prints about the traced creates in both providers: each phase's median (arrival to
 * the first statement, the create's statement, to the first call, the calls, the settles, the
 * answer), each step's, and the slowest creates step by step, from the timelines
 * create-timeline.mts recorded in the gateway.
 */
import type { Timeline } from './create-timeline.mjs';
import { median, percentile } from './stats';

/**
 * `timelines`: one per traced create; `clientLatencies`: the same creates timed at the bench's side;
 * `directP50`: the two direct creates' p50, for scale.
 */
export function describeTimelines(
  timelines: readonly Timeline[],
  clientLatencies: readonly number[],
  directP50: number,
): string[] {
  const phases = timelines.map(({ answered, steps }) => {
    const statements = steps.filter((step) => step.kind === 'statement');
    const calls = steps.filter((step) => step.kind === 'provider');
    const firstCall = Math.min(...calls.map((call) => call.start));
    const lastCall = Math.max(...calls.map((call) => call.end));
    const before = statements.filter((statement) => statement.start < firstCall);
    const after = statements.filter((statement) => statement.start >= firstCall);
    const firstStatement = Math.min(...statements.map((statement) => statement.start));
    const beforeEnd = Math.max(...before.map((statement) => statement.end));
    const afterEnd = Math.max(lastCall, ...after.map((statement) => statement.end));
    return {
      toFirstStatement: firstStatement,
      statementsBefore: beforeEnd - firstStatement,
      toFirstCall: firstCall - beforeEnd,
      calls: lastCall - firstCall,
      statementsAfter: afterEnd - lastCall,
      toAnswer: answered - afterEnd,
      answered,
      counts: `${before.length} before the calls (${before.map((s) => s.label.split(' ').slice(0, 3).join(' ')).join('; ')}), ${after.length} after`,
      callCount: calls.length,
    };
  });
  const ms = (pick: (phase: (typeof phases)[number]) => number) =>
    `${median(phases.map(pick)).toFixed(2)} ms`;
  // Every step on its own: the calls by their path, the statements by their place before or
  // after the calls; start and end are medians in ms since the request arrived, over the creates
  // that had the step (a step most creates lack, such as a rate-limit lease, is left out).
  const byStep = new Map<string, { starts: number[]; ends: number[] }>();
  for (const { steps } of timelines) {
    const firstCall = Math.min(...steps.filter((step) => step.kind === 'provider').map((step) => step.start));
    const counted = { before: 0, after: 0 };
    for (const step of steps.toSorted((a, b) => a.start - b.start)) {
      const side = step.start < firstCall ? 'before' : 'after';
      const name =
        step.kind === 'provider'
          ? `call ${step.label.replace(/^\S+ [^/]*/, '')}`
          : `statement ${++counted[side]} ${side} the calls`;
      const times = byStep.get(name) ?? { starts: [], ends: [] };
      times.starts.push(step.start);
      times.ends.push(step.end);
      byStep.set(name, times);
    }
  }
  const stepLine = [...byStep]
    .filter(([, { starts }]) => starts.length >= timelines.length / 2)
    .map(([name, { starts, ends }]) => ({ name, start: median(starts), end: median(ends) }))
    .sort((a, b) => a.start - b.start)
    .map(({ name, start, end }) => `${name} ${start.toFixed(2)}-${end.toFixed(2)}`)
    .join(', ');
  // What the slowest creates (the tail the p99 goal is about) spent beyond the median, by phase.
  const PHASES = {
    toFirstStatement: 'arrival',
    statementsBefore: 'create statement',
    toFirstCall: 'to the calls',
    calls: 'calls',
    statementsAfter: 'settles',
    toAnswer: 'answer',
  } as const;
  const typical = Object.fromEntries(
    Object.keys(PHASES).map((key) => [key, median(phases.map((p) => p[key as keyof typeof PHASES]))]),
  ) as Record<keyof typeof PHASES, number>;
  const slowest = phases
    .toSorted((a, b) => b.answered - a.answered)
    .slice(0, 3)
    .map((phase) => {
      const [key, excess] = (Object.keys(PHASES) as (keyof typeof PHASES)[])
        .map((name) => [name, phase[name] - typical[name]] as const)
        .reduce((most, entry) => (entry[1] > most[1] ? entry : most));
      return `${phase.answered.toFixed(1)} ms (${PHASES[key]} +${excess.toFixed(1)})`;
    })
    .join(', ');
  const slowestTimeline = timelines.toSorted((a, b) => b.answered - a.answered)[0];
  const slowestSteps = (slowestTimeline?.steps ?? [])
    .toSorted((a, b) => a.start - b.start)
    .map((step) => `${step.kind} ${step.label} ${step.start.toFixed(1)}-${step.end.toFixed(1)}`)
    .join(', ');
  const mostCommon = (values: string[]) =>
    [
      ...values.reduce((counts, v) => counts.set(v, (counts.get(v) ?? 0) + 1), new Map<string, number>()),
    ].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  return [
    `arrival to the first statement (HTTP parsing, auth, rate limit, validation): ${ms((p) => p.toFirstStatement)}`,
    `statements before the provider calls (the create): ${ms((p) => p.statementsBefore)}`,
    `to the first provider call (mapping, the HTTP client): ${ms((p) => p.toFirstCall)}`,
    `provider calls, first start to last answer (${mostCommon(phases.map((p) => String(p.callCount)))} calls; the two direct creates in parallel take ${directP50.toFixed(2)} ms at p50 from the bench's side): ${ms((p) => p.calls)}`,
    `statements after the last answer (the settles, each with its provider calls; the answer is built from what they stored): ${ms((p) => p.statementsAfter)}`,
    `to the answer handed to the socket: ${ms((p) => p.toAnswer)}`,
    `in the gateway in all: ${ms((p) => p.answered)}; at the bench's side, p50 ${percentile(clientLatencies, 50).toFixed(2)} ms`,
    `statements: ${mostCommon(phases.map((p) => p.counts))}`,
    `each step, from start to end (medians, ms since arrival): ${stepLine}`,
    `the slowest of them, and the phase that grew the most over its median: ${slowest}`,
    `the slowest one, step by step (ms since arrival): ${slowestSteps}`,
  ];
}
