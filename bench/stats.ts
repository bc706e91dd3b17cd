/** Small helpers the benches share: waiting, and reading a sample's median and percentiles. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `p`th percentile of `values` (in any order): the value below which `p`% of them lie. */
export const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
};

export const median = (values: readonly number[]) => percentile(values, 50);
