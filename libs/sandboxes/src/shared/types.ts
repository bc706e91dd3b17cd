import { type FaultConfig } from './faults';

/** Options every sandbox accepts; each provider adds its own extras. */
export interface SandboxOptions {
  /** Interface to bind; loopback by default so a sandbox is never reachable from outside. */
  host?: string;
  /** 0 (default) lets the OS pick a free port: what tests want. */
  port?: number;
  /** Seeds fault injection and generated identifiers, so runs replay exactly. Default 1. */
  seed?: number;
  faults?: FaultConfig;
  /** Requests per second per credential before 429; 0 disables the limiter. Provider defaults differ. */
  rateLimitPerSecond?: number;
}

export interface SandboxStats {
  /** Requests received on provider routes (admin routes excluded), by route key. */
  requests: number;
  byRoute: Record<string, number>;
  /**
   * Requests received and not yet handled (waiting out an injected latency, say): 0 once every
   * write a client sent has landed or been refused, however the client fared.
   */
  inFlight: number;
  /** Injected faults by kind: latency, hang, reset, error, rateLimited, commitThenFail. */
  faults: Record<string, number>;
}

/**
 * In-process access to the same operations as the `/__admin` HTTP endpoints. TCustomer is the
 * customer exactly as the provider returns it.
 */
export interface SandboxAdmin<TCustomer> {
  /** Drops all state (customers and their sub-resources), rate-limit buckets and stats; keeps faults. */
  reset(): void;
  /** Creates `count` valid customers; returns their provider references (DR ids, 2CO refs). */
  seed(count: number): string[];
  /** Every customer as the provider stores and returns it, oldest first. */
  dump(): TCustomer[];
  /** Replaces the fault configuration (validated) and restarts the seeded random streams. */
  setFaults(config: FaultConfig): void;
  getFaults(): FaultConfig;
  /** Changes the rate limit (requests/s per credential; 0 disables). */
  setRateLimit(perSecond: number): void;
  /**
   * Changes a stored customer out-of-band, as if someone edited it in the provider's dashboard:
   * no validation, no faults, no auth. Returns the customer as the API would now return it, or
   * undefined when the reference is unknown. For drift and reconciliation tests.
   */
  modifyCustomer(reference: string, patch: Partial<TCustomer>): TCustomer | undefined;
  /** Removes a customer out-of-band (also possible for 2Checkout, whose API has no delete). */
  removeCustomer(reference: string): boolean;
  stats(): SandboxStats;
}

export interface RunningSandbox<TCustomer = unknown> {
  /** Base URL: DR `http://127.0.0.1:1234` (then /customers…); 2CO `http://127.0.0.1:1235/rest/6.0`. */
  url: string;
  /** The server origin, where `/__admin/...` lives. */
  origin: string;
  admin: SandboxAdmin<TCustomer>;
  close(): Promise<void>;
}

/**
 * One provider's sandbox as the registry (sandbox-registry.ts) knows it: how to start it, and the
 * provider account that points at it. Keyed there by the same provider id as the adapters.
 */
export interface ProviderSandbox<Options extends SandboxOptions, Running extends RunningSandbox> {
  /** As people call the provider, for start-up lines: "Digital River". */
  displayName: string;
  start(options: Options): Promise<Running>;
  /**
   * The adapter settings that point an account at `running` (base URL and credentials), i.e. a
   * `PROVIDER_ACCOUNTS` entry without `provider` and `account`.
   */
  account(running: Running): Record<string, unknown>;
  /** Standalone (`npm run sandbox`): the port and the prefix of its variables, e.g. `DR_SANDBOX_PORT`. */
  standalone: { port: number; envPrefix: string };
  /** Standalone: what a person needs to call it by hand (credentials, a curl line, admin routes). */
  describe(running: Running): string[];
}
