/**
 * What every part of bench:api (bench/api.ts) shares: its settings, read from the environment (in
 * each of its processes: the baseline processes it forks read the same API key and database), its
 * goals, and what a row adds to the printed report.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
export const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
export const CREATES = Number(process.env['BENCH_CREATES'] ?? 200);
export const DATABASE_URL =
  process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
// The baseline process gets the key from its parent, so both sides check the same one.
export const API_KEY = process.env['BENCH_API_KEY'] ?? `bench_${randomUUID().replaceAll('-', '')}`;
const ROWS = ['read', 'list', 'create', 'both', 'idle', 'embedded'] as const;
export const ONLY = new Set(process.env['BENCH_ONLY']?.split(',').map((name) => name.trim()) ?? ROWS);
const unknownRows = [...ONLY].filter((name) => !(ROWS as readonly string[]).includes(name));
if (unknownRows.length > 0) throw new Error(`BENCH_ONLY: unknown rows ${unknownRows.join(', ')}`);
export const PROFILE_DIR =
  process.env['BENCH_PROFILE'] === '1' ? mkdtempSync(join(tmpdir(), 'bench-profile-')) : undefined;
export const GATEWAY_FLAGS = [
  ...(process.env['BENCH_GATEWAY_FLAGS']?.split(' ').filter((flag) => flag !== '') ?? []),
  ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
];

export const GOALS = {
  read: 0.8,
  list: 0.6,
  create: 0.6,
  p50DeltaMs: 3,
  /** How far above the bare durable create (the floor) the gateway's create in both may be, at p50 (issue 34). */
  aboveFloorP50Ms: 1,
  p99DeltaMs: 10,
  idleCpu: 1,
  rssMb: 300,
  readyMs: 2_000,
};

/** Where the rows send their requests: the gateway, the bare handler and the stack floors (base URLs). */
export interface RowUrls {
  gateway: string;
  bare: string;
  /** NestJS on Fastify, the gateway's platform (api-stack-floor.ts). */
  stackFloor: string;
  /** The same stack floor on NestJS's Express platform, the gateway's until 2026-12. */
  expressFloor: string;
}

/** What a row adds to the printed report: lines of the table (cells in its columns' order), verdicts under it. */
export interface Report {
  row: (...cells: (string | number)[]) => void;
  verdicts: string[];
}
