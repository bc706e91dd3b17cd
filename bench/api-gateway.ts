/**
 * The built gateway as bench:api (bench/api.ts) runs it, one process per configuration, and the
 * requests its rows send it: the API key's headers and a new customer per create.
 */
import { BENCH_ADDRESS, type BenchCustomer } from './api-baselines';
import { API_KEY } from './api-settings';
import { type GatewayProcess, startGatewayProcess as startGateway } from './gateway-process';

export const NODE = process.execPath;

export const UNTHROTTLED = {
  RATE_LIMIT_READ_PER_SECOND: '1000000',
  RATE_LIMIT_WRITE_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '1000000',
};

export type Gateway = GatewayProcess;

/** The built gateway as bench:api runs it (its API key, production defaults); resolves once /health answers 200. */
export function startGatewayProcess(env: Record<string, string>, nodeFlags: string[] = []): Promise<Gateway> {
  return startGateway(
    {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      API_KEYS: JSON.stringify([{ id: 'bench', scopes: ['admin'], key: API_KEY }]),
      ...env,
    },
    { nodeFlags },
  );
}

export const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
let emails = 0;
export const customer = (): BenchCustomer => ({
  email: `bench-${process.pid}-${++emails}@example.com`,
  givenName: 'John',
  familyName: 'Smith',
  address: BENCH_ADDRESS,
});
