/**
 * What makes a query plan's cost grow with the data: a sequential scan of a large table, or a node
 * that reads far more rows than it hands on (a filter probing row after row, a sort under a
 * limit). Checked on PostgreSQL's `EXPLAIN (ANALYZE, FORMAT JSON)` by `npm run bench:scale` and
 * test/persistence/list-plans.spec.ts. Pure: the callers run the EXPLAIN.
 * https://www.postgresql.org/docs/15/using-explain.html
 */

/** A node of `EXPLAIN (ANALYZE, FORMAT JSON)`'s output, the fields read here. */
export interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

export interface PlanLimits {
  /** A sequential scan reading more rows than this fails (the 10,000). */
  maxSeqScanRows: number;
  /** A node reading more than this many times the rows it returns fails (the 10). */
  maxReadPerReturned: number;
  /** Below this many rows read, a node is never flagged: reading 3 rows to return 0 costs nothing. */
  minRowsRead: number;
}

export const PLAN_LIMITS: PlanLimits = { maxSeqScanRows: 10_000, maxReadPerReturned: 10, minRowsRead: 100 };

/** Rows a node handed on, over all its loops (EXPLAIN reports per-loop averages). */
const returned = (node: PlanNode) => (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1);

/**
 * Rows a node took in: a scan's matches plus what its filters threw away; any other node's inputs'
 * output. InitPlans and SubPlans (a page's links, a cursor's seq) are checked as nodes of their own
 * but are not their parent's input.
 */
function rowsRead(node: PlanNode): number {
  const inputs = (node.Plans ?? []).filter(
    (child) => !['InitPlan', 'SubPlan'].includes(child['Parent Relationship'] ?? ''),
  );
  if (inputs.length > 0) return inputs.reduce((sum, child) => sum + returned(child), 0);
  const removed =
    (node['Rows Removed by Filter'] ?? 0) +
    (node['Rows Removed by Index Recheck'] ?? 0) +
    (node['Rows Removed by Join Filter'] ?? 0);
  return returned(node) + removed * (node['Actual Loops'] ?? 1);
}

/** The nodes of a plan, depth first. */
function* nodesOf(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodesOf(child);
}

/** One line per problem found; none means the plan's cost does not grow with the tables. */
export function planProblems(plan: PlanNode, limits: PlanLimits = PLAN_LIMITS): string[] {
  const problems: string[] = [];
  for (const node of nodesOf(plan)) {
    const read = rowsRead(node);
    const out = returned(node);
    const where =
      node['Relation Name'] === undefined
        ? node['Node Type']
        : `${node['Node Type']} on ${node['Relation Name']}`;
    if (node['Node Type'] === 'Seq Scan' && read > limits.maxSeqScanRows) {
      problems.push(`${where} read ${read} rows (more than ${limits.maxSeqScanRows})`);
    } else if (read >= limits.minRowsRead && read > limits.maxReadPerReturned * Math.max(out, 1)) {
      problems.push(`${where} read ${read} rows to return ${out} (more than ${limits.maxReadPerReturned}x)`);
    }
  }
  return problems;
}

/** The tables a plan reads, for telling which statements touch the mirror at all. */
export function relationsOf(plan: PlanNode): string[] {
  return [...new Set([...nodesOf(plan)].flatMap((node) => node['Relation Name'] ?? []))];
}
