import { z } from 'zod';
import { deriveSeed, Prng } from './prng';

/**
 * Fault injection: the sandboxes must be able to behave like a bad day at the provider, so the
 * gateway's timeouts, retries and "did my write land?" reconciliation can be tested for real.
 *
 * A FaultConfig maps a route key to the faults for that route. Route keys are the method plus the
 * route pattern relative to the sandbox base URL, e.g. `POST /customers`, `GET /customers/:id`
 * (2Checkout: `GET /customers/:ref`). `*` applies to every route; a route's own entry is merged over
 * `*` field by field.
 */

const latencySchema = z.union([
  z.number().nonnegative(),
  z.strictObject({ min: z.number().nonnegative(), max: z.number().nonnegative() }),
  z.strictObject({ mean: z.number().nonnegative(), stddev: z.number().nonnegative() }),
]);
const rate = z.number().min(0).max(1);
const httpStatus = z.number().int().min(400).max(599);

const routeFaultsSchema = z.strictObject({
  /** Added before the request is handled: fixed ms, uniform `{min,max}` or normal `{mean,stddev}`. */
  latencyMs: latencySchema.optional(),
  /** Probability of answering `errorStatus` (default 500) without touching state. */
  errorRate: rate.optional(),
  errorStatus: httpStatus.optional(),
  /** Probability of never answering: the request hangs until the client gives up. */
  hangRate: rate.optional(),
  /** Probability of resetting the TCP connection (RST) instead of answering. */
  resetRate: rate.optional(),
  /**
   * 429 bursts: each request starts a burst with probability `rate`; a burst answers `length`
   * consecutive requests to the route with 429 and `Retry-After: retryAfterSeconds` (default 1).
   */
  rateLimitBurst: z
    .strictObject({
      rate,
      length: z.number().int().min(1),
      retryAfterSeconds: z.number().int().min(0).optional(),
    })
    .optional(),
  /**
   * Probability that the request is applied (state changes) but the answer is
   * `commitThenFailStatus` (default 500): the ambiguous outcome the gateway must survive.
   */
  commitThenFailRate: rate.optional(),
  commitThenFailStatus: httpStatus.optional(),
});

export const faultConfigSchema = z.record(z.string(), routeFaultsSchema);

export type RouteFaults = z.infer<typeof routeFaultsSchema>;
export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type LatencySpec = NonNullable<RouteFaults['latencyMs']>;

export type FaultAction =
  | { kind: 'none' }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'error'; status: number }
  | { kind: 'rateLimited'; retryAfterSeconds: number };

export interface FaultDecision {
  latencyMs: number;
  action: FaultAction;
  /** Non-null: apply the request, then answer with this status instead of the real result. */
  commitThenFailStatus: number | null;
}

/** Parses untrusted fault configuration (admin endpoint, env var); throws with a readable message. */
export function parseFaultConfig(input: unknown): FaultConfig {
  const result = faultConfigSchema.safeParse(input);
  if (!result.success) {
    throw new Error(`Invalid fault configuration: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

interface RouteStream {
  prng: Prng;
  burstRemaining: number;
}

const NONE: FaultAction = { kind: 'none' };

export class FaultInjector {
  private config: FaultConfig = {};
  private streams = new Map<string, RouteStream>();
  private active = false;

  constructor(
    private readonly seed: number,
    config: FaultConfig = {},
  ) {
    this.setConfig(config);
  }

  /** Replaces the configuration and restarts every random stream from the seed (replayable runs). */
  setConfig(config: FaultConfig): void {
    this.config = parseFaultConfig(config);
    this.streams.clear();
    this.active = Object.keys(this.config).length > 0;
  }

  getConfig(): FaultConfig {
    return structuredClone(this.config);
  }

  /** Returns null on the fast path (no faults configured), so throughput is unaffected by default. */
  decide(routeKey: string): FaultDecision | null {
    if (!this.active) return null;
    const wildcard = this.config['*'];
    const own = this.config[routeKey];
    if (!wildcard && !own) return null;
    const faults: RouteFaults = { ...wildcard, ...own };
    const stream = this.stream(routeKey);
    const prng = stream.prng;

    const latencyMs = faults.latencyMs === undefined ? 0 : sampleLatency(faults.latencyMs, prng);
    let action: FaultAction = NONE;
    // Each configured fault draws in a fixed order, so a seed always replays the same sequence.
    if (faults.hangRate !== undefined && prng.next() < faults.hangRate) action = { kind: 'hang' };
    if (faults.resetRate !== undefined && prng.next() < faults.resetRate && action === NONE) {
      action = { kind: 'reset' };
    }
    if (faults.rateLimitBurst !== undefined) {
      const burst = faults.rateLimitBurst;
      const retryAfterSeconds = burst.retryAfterSeconds ?? 1;
      if (stream.burstRemaining > 0) {
        stream.burstRemaining--;
        if (action === NONE) action = { kind: 'rateLimited', retryAfterSeconds };
      } else if (prng.next() < burst.rate && action === NONE) {
        stream.burstRemaining = burst.length - 1;
        action = { kind: 'rateLimited', retryAfterSeconds };
      }
    }
    if (faults.errorRate !== undefined && prng.next() < faults.errorRate && action === NONE) {
      action = { kind: 'error', status: faults.errorStatus ?? 500 };
    }
    let commitThenFailStatus: number | null = null;
    if (faults.commitThenFailRate !== undefined && prng.next() < faults.commitThenFailRate) {
      commitThenFailStatus = faults.commitThenFailStatus ?? 500;
    }
    return { latencyMs, action, commitThenFailStatus };
  }

  private stream(routeKey: string): RouteStream {
    let stream = this.streams.get(routeKey);
    if (!stream) {
      stream = { prng: new Prng(deriveSeed(this.seed, routeKey)), burstRemaining: 0 };
      this.streams.set(routeKey, stream);
    }
    return stream;
  }
}

function sampleLatency(spec: LatencySpec, prng: Prng): number {
  if (typeof spec === 'number') return spec;
  if ('min' in spec) return spec.min + prng.next() * Math.max(0, spec.max - spec.min);
  return Math.max(0, spec.mean + prng.normal() * spec.stddev);
}
