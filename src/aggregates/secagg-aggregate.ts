import { createHash } from 'node:crypto';
import { SecAggType, toHex, type SecAggView } from '../../crdt/index.js';
import type { Log } from '../../crdt/index.js';
import { roundState } from '../secagg/round.js';
import { secureSum, type SecureSum } from '../secagg/unmask.js';
import { aggregateDigest } from './digest.js';

/** Rounds whose unmasked sums a node keeps computed (each up to 64 MiB at the largest dimension). */
export const SECAGG_CACHE_ROUNDS = 4;
/** Largest public round view (GET /v1/secagg): bytes of update hex plus masked-slice summaries; 1 024 members' keys, shares and reveals fit. */
export const SECAGG_VIEW_MAX_BYTES = 48 * 1024 * 1024;

/** JSON bytes of one masked-slice summary in the view, without its `included` list (an upper bound). */
const MASKED_SUMMARY_BYTES = 256;

export type SecAggRule = 'sum' | 'mean';

/** The answer for a round without a sum (yet): why, and each close's failure. */
export interface SecAggPending {
  readonly reason: string;
  readonly failures: unknown[];
}

function fingerprint(ops: readonly SecAggView[]): string {
  const h = createHash('sha256');
  for (const o of ops) h.update(o.updateId).update(String(o.index));
  return h.digest('hex');
}

/**
 * A node's secure sums: the unmasked sum of a round is a pure function of its signed ops
 * (src/secagg/unmask.ts); this caches it per round until the ops change.
 */
export class SecAggAggregates {
  private readonly cache = new Map<string, { fp: string; out: ReturnType<typeof secureSum> & { state: ReturnType<typeof roundState> } }>();

  compute(stream: string, round: number, ops: readonly SecAggView[]): ReturnType<typeof secureSum> & { state: ReturnType<typeof roundState> } {
    const key = `${stream}\u0000${round}`;
    const fp = fingerprint(ops);
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.fp === fp) return hit.out;
    const state = roundState(stream, round, ops);
    const out = { ...secureSum(state), state };
    this.cache.delete(key);
    this.cache.set(key, { fp, out });
    while (this.cache.size > SECAGG_CACHE_ROUNDS) this.cache.delete(this.cache.keys().next().value!);
    return out;
  }

  /** The response body for a complete round: the sum (or mean), its provenance and digest. */
  body(stream: string, round: number, rule: SecAggRule, r: SecureSum, state: ReturnType<typeof roundState>) {
    const roster = state.rosters.find((x) => x.id === r.roster)!;
    const scale = 2 ** roster.config.scaleBits;
    const div = rule === 'mean' ? r.survivors.length * scale : scale;
    const values = Float32Array.from(r.sum, (v) => v / div);
    const sumBytes = new Uint8Array(r.sum.buffer, r.sum.byteOffset, r.sum.byteLength);
    const fields = {
      stream,
      round,
      rule,
      roster: r.roster,
      close: r.close,
      dimension: roster.config.dimension,
      scaleBits: roster.config.scaleBits,
      clipNorm: roster.config.clipNorm,
      noiseStd: roster.config.noiseStd,
      survivors: r.survivors.map((m) => ({ member: m, author: roster.members[m]!.author })),
      recovered: r.recovered.map((m) => ({ member: m, author: roster.members[m]!.author })),
    };
    return {
      ...fields,
      valuesF32Base64: Buffer.from(values.buffer).toString('base64'),
      sumInt32Base64: Buffer.from(sumBytes).toString('base64'),
      preview: Array.from(values.subarray(0, 8)),
      digest: aggregateDigest('secagg', fields, sumBytes),
    };
  }
}

/**
 * The public view of a round for its participants (GET /v1/secagg): the signed updates of every
 * op but the masked slices (which a participant verifies itself), and a summary of the masked
 * slices (their data is what only the sum needs).
 */
export function roundView(log: Log, stream: string, round: number): { updates: string[]; masked: { updateId: string; author: string; roster: string; included: readonly number[]; offset: number; count: number }[]; bytes: number } {
  const ops = log.state.secaggOps(stream, round);
  const ids = [...new Set(ops.filter((o) => o.type !== SecAggType.Masked).map((o) => o.updateId))].sort();
  let bytes = 0;
  const updates: string[] = [];
  for (const id of ids) {
    const b = log.bytesOf(id);
    if (b === undefined) continue;
    bytes += b.length * 2;
    if (bytes > SECAGG_VIEW_MAX_BYTES) break;
    updates.push(toHex(b));
  }
  const masked = ops.flatMap((o) => (o.type === SecAggType.Masked ? [{ updateId: o.updateId, author: o.author, roster: o.roster, included: o.included, offset: o.offset, count: o.count }] : []));
  // Masked summaries count toward the bound too (anyone may sign slices for a round).
  bytes += masked.reduce((a, m) => a + MASKED_SUMMARY_BYTES + 4 * m.included.length, 0);
  return { updates, masked, bytes };
}
