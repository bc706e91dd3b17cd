/**
 * Process and system figures the benches read from /proc (Linux): CPU ticks, resident memory,
 * wake-ups. Every reader answers undefined (or 0, where a number is asked for) elsewhere.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** The kernel's clock ticks per second (USER_HZ), 100 on Linux. */
export const TICKS_PER_SECOND = 100;

export function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime (+ children's, for the postmaster that reaps exited backends), in ticks. */
export function processTicks(pid: number | string, withChildren = false): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return at(14) + at(15) + (withChildren ? at(16) + at(17) : 0);
}

export function residentBytes(pid: number): number | undefined {
  const match = /VmRSS:\s+(\d+) kB/.exec(readProc(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Resident memory in MB; 0 when it cannot be read. */
export const rssMb = (pid: number) => (residentBytes(pid) ?? 0) / 1024 / 1024;

/** How often the process's main thread has gone to sleep and been woken again. */
export function wakeUps(pid: number): number {
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readProc(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
}

/** Every PostgreSQL server process on this machine (all sessions, not only the bench's). */
export function postgresTicks(): number | undefined {
  if (!existsSync('/proc')) return undefined;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readProc(`/proc/${entry}/comm`)?.trim() !== 'postgres') continue;
    total += processTicks(entry, true) ?? 0;
  }
  return total;
}

/** Busy and total ticks of all CPUs together. */
export function systemTicks(): { busy: number; total: number } | undefined {
  const line = readProc('/proc/stat')?.split('\n')[0];
  if (line === undefined) return undefined;
  const [, ...values] = line.trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}
