import { type PlanNode, planProblems, relationsOf } from './query-plans';

/** A scan of `table` returning `rows` per loop over `loops` loops, `removed` per loop filtered out. */
const scan = (type: string, table: string, rows: number, loops = 1, removed = 0): PlanNode => ({
  'Node Type': type,
  'Relation Name': table,
  'Actual Rows': rows,
  'Actual Loops': loops,
  ...(removed > 0 ? { 'Rows Removed by Filter': removed } : {}),
});

describe('planProblems', () => {
  it('passes a page read from an ordered index under a limit, with its links as a subplan', () => {
    const plan: PlanNode = {
      'Node Type': 'Limit',
      'Actual Rows': 11,
      'Actual Loops': 1,
      Plans: [
        {
          ...scan('Index Scan', 'customers', 11),
          Plans: [
            {
              'Node Type': 'Aggregate',
              'Parent Relationship': 'SubPlan',
              'Actual Rows': 1,
              'Actual Loops': 11,
              Plans: [scan('Bitmap Heap Scan', 'provider_links', 2, 11)],
            },
          ],
        },
      ],
    };

    expect(planProblems(plan)).toEqual([]);
    expect(relationsOf(plan)).toEqual(['customers', 'provider_links']);
  });

  it('flags a sequential scan over 10,000 rows, even when its filter keeps one', () => {
    expect(planProblems(scan('Seq Scan', 'customers', 1, 1, 49_999))).toEqual([
      'Seq Scan on customers read 50000 rows (more than 10000)',
    ]);
  });

  it('passes a sequential scan of a small table', () => {
    expect(planProblems(scan('Seq Scan', 'webhook_endpoints', 3))).toEqual([]);
  });

  it("flags a join probing a hundred customers' links per row it keeps", () => {
    const plan: PlanNode = {
      'Node Type': 'Nested Loop',
      'Actual Rows': 11,
      'Actual Loops': 1,
      Plans: [
        scan('Index Scan Backward', 'customers', 1_100),
        scan('Index Scan', 'provider_links', 0.01, 1_100),
      ],
    };

    expect(planProblems(plan)).toEqual(['Nested Loop read 1111 rows to return 11 (more than 10x)']);
  });

  it('flags a top-N sort that read the whole table', () => {
    const plan: PlanNode = {
      'Node Type': 'Sort',
      'Actual Rows': 11,
      'Actual Loops': 1,
      Plans: [scan('Bitmap Heap Scan', 'events', 5_000)],
    };

    expect(planProblems(plan)).toEqual(['Sort read 5000 rows to return 11 (more than 10x)']);
  });

  it('never flags a node that read few rows, whatever it returned', () => {
    expect(planProblems(scan('Index Scan', 'customers', 0, 1, 50))).toEqual([]);
  });
});
