// experiment: create-in-both latency breakdown on PG
import { startSandboxes } from '@app/sandboxes';
import { spawn } from 'node:child_process';
async function main() {
  const sb = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0, liveRateLimitPerSecond: 0 }, 'two-checkout': { rateLimitPerSecond: 0 } });
  const key = 'bench_0123456789abcdef0123456789abcdef';
  const port = 31000 + Math.floor(Math.random() * 5000);
  const schema = 'exp_' + Date.now();
  const gw = spawn('/work/main/node_modules/.bin/node', [...(process.env.NODEFLAGS ?? '').split(' ').filter(Boolean), '/work/main/dist/apps/gateway/apps/gateway/src/main.js'], {
    env: { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), API_KEYS: JSON.stringify([{ id: 'bench', scopes: ['admin'], key }]),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres', DATABASE_SCHEMA: schema, MIGRATION_QUEUE: 'in-process',
      RATE_LIMIT_READ_PER_SECOND: '1000000', RATE_LIMIT_WRITE_PER_SECOND: '1000000', RATE_LIMIT_PROVIDER_PER_SECOND: '1000000',
      PROVIDER_ACCOUNTS: JSON.stringify(sb.accounts({})) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (;;) { if (await fetch(url + '/health').then(r => r.ok, () => false)) break; await new Promise(r => setTimeout(r, 100)); }
  let n = 0;
  const lat: number[] = [];
  for (let i = 0; i < Number(process.env.N ?? 200); i++) {
    const t = performance.now();
    const res = await fetch(url + '/v1/customers', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `x${++n}-${Date.now()}@example.com`, givenName: 'John', familyName: 'Smith', address: { line1: '10380 Bren Rd W', city: 'Minnetonka', state: 'MN', postalCode: '55129', country: 'US' } }) });
    const body = await res.json() as { providers: { status: string }[] };
    lat.push(performance.now() - t);
    if (res.status !== 201 || body.providers.some(p => p.status !== 'synced')) console.log('bad', res.status, JSON.stringify(body).slice(0, 300));
    await new Promise(r => setTimeout(r, 50));
  }
  lat.sort((a, b) => a - b);
  console.log('p50', lat[Math.floor(lat.length / 2)]!.toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)]!.toFixed(1));
  gw.kill('SIGINT'); await new Promise(r => gw.once('exit', r)); await sb.close();
}
void main();
