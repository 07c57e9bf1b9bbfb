import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { decodeUpdate, verifyStrict } from '../crdt/index.js';

/** Seeded shuffle (xorshift32), so every run delivers the same random order. */
export function shuffle<T>(xs: T[], seed = 0x9e3779b9): T[] {
  let s = seed >>> 0 || 1;
  for (let i = xs.length - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export function seedFor(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`murmur-bench-${label}`).digest());
}

/** A measured figure over several runs: no best-of, the median with its spread. */
export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: readonly number[];
}

export function sample(values: readonly number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1]!, min: sorted[0]!, max: sorted.at(-1)!, values: [...values] };
}

/** "median m (min a, max b)" */
export function spread(s: Sample, digits = 3): string {
  return `median ${s.median.toFixed(digits)} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
}

/** Runs `fn` `reps` times, every run measured (the first, cold one too): seconds per run. */
export function timedRuns(reps: number, fn: () => void): Sample {
  return sample(Array.from({ length: reps }, () => seconds(fn)));
}

/** timedRuns for asynchronous work. */
export async function timedRunsAsync(reps: number, fn: () => Promise<unknown>): Promise<Sample> {
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return sample(out);
}

/** Duration of one synchronous call, in seconds. */
/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run benchmarks with --expose-gc (npm run bench does)');
  g();
  g();
}

export function report(lines: [string, string | number][], result: Record<string, unknown>): void {
  for (const [k, v] of lines) console.log(`${k.padEnd(44)} ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v}`);
  console.log(JSON.stringify(result));
}

/**
 * Strict verifies per second on one core over `updates` (about 1 s): the in-run baseline for
 * benchmarks bound by signature checks.
 */
export function verifyRatePerCore(updates: Uint8Array[]): number {
  const decoded = updates.map(decodeUpdate);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1_000) {
    const u = decoded[n++ % decoded.length]!;
    if (!verifyStrict(u.author, u.signed, u.signature)) throw new Error('bench update does not verify');
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Machine-wide CPU time so far from /proc/stat (Linux), in core-seconds: busy and total. NaN elsewhere. */
export function cpuTimes(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Fraction of the machine's CPU that was busy between two cpuTimes() readings. */
export function busyFraction(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return (b.busy - a.busy) / (b.total - a.total);
}
