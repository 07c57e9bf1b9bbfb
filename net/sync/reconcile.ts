import { compareKeys, KEY_INFINITY, KEY_MIN, type KeyIndex, type SyncKey } from './key-index.js';
import { RangeMode, SYNC_MAX_IDS_PER_RANGE, type Range } from './messages.js';
import { SyncError, SyncErrorCode } from './frame-channel.js';

/** Sub-ranges a mismatched fingerprint range is split into. */
export const SYNC_SPLIT_FANOUT = 16;
/** Ids listed explicitly at the top of the initial message (recent updates differ most often). */
export const SYNC_INITIAL_TOP_IDS = 128;
/**
 * Below the listed top, the initial message covers the most recent keys with fingerprint ranges
 * that double in size (128, 256, ... up to this many keys), then splits the rest in
 * SYNC_SPLIT_FANOUT: a recent divergence falls in small ranges the responder can answer with ids.
 */
export const SYNC_INITIAL_RECENT_MAX_KEYS = 4_096;
/**
 * A mismatched fingerprint range of at most SYNC_SPLIT_FANOUT x SYNC_MAX_IDS_PER_RANGE local keys is
 * answered with its ids (as several ids ranges) instead of being split into fingerprints, saving a
 * round trip, while a turn has listed fewer than this many such ids (256 KiB of ids).
 */
export const SYNC_DENSE_IDS_PER_TURN = 8_192;

export interface ReconcileStep {
  /** Ranges to send back (further work). */
  readonly ranges: Range[];
  /** Ids of local updates the peer lacks (to push), in key order. */
  readonly send: string[];
  /** Ids the peer listed that this side lacks (to request). */
  readonly want: string[];
}

function idsIn(index: KeyIndex, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(index.idAt(i));
  return out;
}

function fpRange(index: KeyIndex, lower: SyncKey, upper: SyncKey, from: number, to: number): Range {
  return { lower, upper, mode: RangeMode.Fingerprint, fingerprint: index.fingerprint(from, to), count: to - from };
}

/** Splits local positions [from, to) of [lower, upper) into equal-count fingerprint ranges. */
function split(index: KeyIndex, lower: SyncKey, upper: SyncKey, from: number, to: number, parts: number): Range[] {
  const out: Range[] = [];
  const n = to - from;
  let lo = lower;
  let loAt = from;
  for (let k = 1; k <= parts; k++) {
    const hiAt = k === parts ? to : from + Math.floor((n * k) / parts);
    if (hiAt === loAt && k !== parts) continue;
    const hi = k === parts ? upper : index.keyAt(hiAt);
    out.push(fpRange(index, lo, hi, loAt, hiAt));
    lo = hi;
    loAt = hiAt;
  }
  return out;
}

/** Local positions [from, to) of [lower, upper) as ids ranges of at most SYNC_MAX_IDS_PER_RANGE ids each. */
function idRanges(index: KeyIndex, lower: SyncKey, upper: SyncKey, from: number, to: number): Range[] {
  const out: Range[] = [];
  let lo = lower;
  for (let at = from; at < to; at += SYNC_MAX_IDS_PER_RANGE) {
    const end = Math.min(to, at + SYNC_MAX_IDS_PER_RANGE);
    const hi = end === to ? upper : index.keyAt(end);
    out.push({ lower: lo, upper: hi, mode: RangeMode.Ids, ids: idsIn(index, at, end) });
    lo = hi;
  }
  return out;
}

/**
 * The initiator's first message: its most recent SYNC_INITIAL_TOP_IDS ids listed explicitly, the
 * keys below them in fingerprint ranges doubling from SYNC_INITIAL_TOP_IDS to
 * SYNC_INITIAL_RECENT_MAX_KEYS keys, and the rest of the key space as SYNC_SPLIT_FANOUT
 * fingerprint ranges. A recent divergence is then settled in the first round trip or two.
 */
export function initialRanges(index: KeyIndex): Range[] {
  const n = index.size;
  if (n <= SYNC_MAX_IDS_PER_RANGE) return [{ lower: KEY_MIN, upper: KEY_INFINITY, mode: RangeMode.Ids, ids: idsIn(index, 0, n) }];
  const topAt = n - SYNC_INITIAL_TOP_IDS;
  const top = index.keyAt(topAt);
  const recent: Range[] = [];
  let hiAt = topAt;
  let hi = top;
  for (let size = SYNC_INITIAL_TOP_IDS; size <= SYNC_INITIAL_RECENT_MAX_KEYS && hiAt - size > 0; size *= 2) {
    const loAt = hiAt - size;
    const lo = index.keyAt(loAt);
    recent.unshift(fpRange(index, lo, hi, loAt, hiAt));
    hiAt = loAt;
    hi = lo;
  }
  return [...split(index, KEY_MIN, hi, 0, hiAt, SYNC_SPLIT_FANOUT), ...recent, { lower: top, upper: KEY_INFINITY, mode: RangeMode.Ids, ids: idsIn(index, topAt, n) }];
}

/**
 * Throws SyncError(protocol) unless a turn's ranges are non-empty, ascending and disjoint
 * (each lower >= the previous upper), and at most `maxRanges`. Disjointness is what bounds a
 * turn's work in total: processRanges then touches each local key at most once, whatever the
 * number of ranges (8 192 overlapping whole-keyspace ranges would cost 8 192 passes over the log).
 */
export function checkRanges(ranges: readonly Range[], maxRanges = Infinity): void {
  if (ranges.length > maxRanges) throw new SyncError(SyncErrorCode.TooMuch, `${ranges.length} ranges in one turn (at most ${maxRanges})`);
  let prevUpper: SyncKey | null = null;
  for (const r of ranges) {
    if (compareKeys(r.lower, r.upper) >= 0) throw new SyncError(SyncErrorCode.Protocol, 'sync range with lower >= upper');
    if (prevUpper !== null && compareKeys(r.lower, prevUpper) < 0) throw new SyncError(SyncErrorCode.Protocol, 'sync ranges overlap or are out of order');
    prevUpper = r.upper;
  }
}

/**
 * Answers the peer's ranges against the local index. Symmetric: both sides run it on what the
 * other sent. Work is bounded per turn in total: one pass over the local keys (the ranges are
 * disjoint, checkRanges), plus the listed ids (at most SYNC_MAX_RANGES_PER_TURN x
 * SYNC_MAX_IDS_PER_RANGE), plus a binary search per range. Listed ids settle a range at once (push what the peer lacks, request what we lack);
 * a mismatched fingerprint is answered with our ids when few (up to SYNC_SPLIT_FANOUT ids ranges,
 * within SYNC_DENSE_IDS_PER_TURN a turn), or split when many.
 */
export function processRanges(index: KeyIndex, incoming: readonly Range[], maxRanges = Infinity): ReconcileStep {
  checkRanges(incoming, maxRanges);
  const ranges: Range[] = [];
  const send: string[] = [];
  const want: string[] = [];
  let dense = SYNC_DENSE_IDS_PER_TURN;
  for (const r of incoming) {
    const from = index.lowerBound(r.lower);
    const to = index.lowerBound(r.upper);
    const local = to - from;
    if (r.mode === RangeMode.Ids) {
      const theirs = new Set(r.ids);
      const mine = new Set<string>();
      for (let i = from; i < to; i++) {
        const id = index.idAt(i);
        mine.add(id);
        if (!theirs.has(id)) send.push(id);
      }
      for (const id of r.ids) if (!mine.has(id)) want.push(id);
      continue;
    }
    if (local === r.count && Buffer.compare(index.fingerprint(from, to), r.fingerprint) === 0) continue;
    if (r.count === 0) send.push(...idsIn(index, from, to));
    else if (local <= SYNC_MAX_IDS_PER_RANGE) ranges.push({ lower: r.lower, upper: r.upper, mode: RangeMode.Ids, ids: idsIn(index, from, to) });
    else if (local <= SYNC_SPLIT_FANOUT * SYNC_MAX_IDS_PER_RANGE && local <= dense) {
      dense -= local;
      ranges.push(...idRanges(index, r.lower, r.upper, from, to));
    } else ranges.push(...split(index, r.lower, r.upper, from, to, SYNC_SPLIT_FANOUT));
  }
  return { ranges, send, want };
}
