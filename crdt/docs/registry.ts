import type * as Y from 'yjs';

/** The registry document and its root array of change records. */
export const REGISTRY_DOC = 'registry';
export const REGISTRY_ARRAY = 'changes';
export const REGISTRY_KINDS = ['feed', 'adapter', 'schema'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];
/** Bounds on one change record (larger ones are ignored as malformed). */
export const MAX_REGISTRY_RECORD_BYTES = 16 * 1024;
export const MAX_FEED_CONTRIBUTORS = 256;
export const MAX_CONTRIBUTOR_WEIGHT = 2 ** 24;

export interface RegistryEntry {
  readonly kind: RegistryKind;
  readonly id: string;
  readonly version: number;
  readonly timestampMs: number;
  readonly nonce: string;
  readonly owner: string;
  readonly body: Record<string, unknown>;
  /** The author that wrote the accepted record (the owner or an authority). */
  readonly writtenBy: string;
}

export interface IgnoredChange {
  readonly writer: string | null;
  readonly kind: unknown;
  readonly id: unknown;
  readonly reason: 'malformed' | 'unknown-writer' | 'not-owner' | 'stale-version' | 'replayed-nonce' | 'disputed';
}

export interface RegistryView {
  readonly entries: RegistryEntry[];
  /** Entries (kind/id) with rival concurrent creations, waiting for an authority. */
  readonly disputed: string[];
  readonly ignored: IgnoredChange[];
}

const HEX_KEY = /^[0-9a-f]{64}$/;
const IDENT = /^[A-Za-z0-9._:/-]{1,64}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function validBody(kind: RegistryKind, b: unknown): boolean {
  if (!isObj(b)) return false;
  if (kind === 'feed') {
    const c = b.contributors;
    return (
      isInt(b.decimals, 0, 18) &&
      isStr(b.description, 256) &&
      isObj(c) &&
      Object.keys(c).length <= MAX_FEED_CONTRIBUTORS &&
      Object.entries(c).every(([k, w]) => HEX_KEY.test(k) && isInt(w, 1, MAX_CONTRIBUTOR_WEIGHT))
    );
  }
  if (kind === 'adapter') return isStr(b.name, 64) && b.name.length > 0 && isStr(b.version, 32) && typeof b.schema === 'string' && IDENT.test(b.schema);
  return isInt(b.version, 1, Number.MAX_SAFE_INTEGER) && isObj(b.jsonSchema);
}

function parse(v: unknown): Omit<RegistryEntry, 'writtenBy'> | null {
  if (!isObj(v) || !REGISTRY_KINDS.includes(v.kind as RegistryKind)) return null;
  const ok =
    typeof v.id === 'string' &&
    IDENT.test(v.id) &&
    isInt(v.version, 1, Number.MAX_SAFE_INTEGER) &&
    isInt(v.timestampMs, 0, Number.MAX_SAFE_INTEGER) &&
    isStr(v.nonce, 64) &&
    v.nonce.length > 0 &&
    typeof v.owner === 'string' &&
    HEX_KEY.test(v.owner) &&
    JSON.stringify(v).length <= MAX_REGISTRY_RECORD_BYTES &&
    validBody(v.kind as RegistryKind, v.body);
  return ok ? (v as unknown as Omit<RegistryEntry, 'writtenBy'>) : null;
}

/** Where a record came from: the update that carried its Yjs item, and its writer. */
export interface RecordSource {
  readonly value: unknown;
  readonly writer: string | null;
  readonly updateId: string;
  readonly height: number;
}

/** Reads the registry array with each record's source (`locate` maps a Yjs item to its update). */
export function registryRecords(doc: Y.Doc, writers: ReadonlyMap<number, string>, locate: (client: number, clock: number) => { updateId: string; height: number } | null): RecordSource[] {
  const out: (RecordSource & { pos: number })[] = [];
  const arr = doc.getArray(REGISTRY_ARRAY);
  for (let item = arr._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const values = item.content.getContent();
    values.forEach((value, k) => {
      const at = locate(item!.id.client, item!.id.clock + k);
      if (at !== null) out.push({ value, writer: writers.get(item!.id.client) ?? null, ...at, pos: out.length });
    });
  }
  // Causal order: (height, update id), then array order within an update.
  return out.sort((a, b) => a.height - b.height || (a.updateId < b.updateId ? -1 : a.updateId > b.updateId ? 1 : a.pos - b.pos));
}

interface EntryState {
  /** The current record; null while the entry is disputed. */
  entry: RegistryEntry | null;
  createdIn: string;
  nonces: Set<string>;
  /** Highest version an authority wrote (authority records must exceed it). */
  authorityVersion: number;
}

/**
 * Folds change records in causal order ((height, update id): deps always first) into entries,
 * judging each on its update's causal past:
 * - an authority's record always counts when its version exceeds the authority's previous one
 *   for the entry and its nonce is new: authorities create, reassign and settle disputes;
 * - a new entry may be created by the owner it names;
 * - the owner (any key of its identity) may change its entry with a higher version and a new nonce;
 * - anyone else whose update has the entry's creation in its causal past, or who does not name
 *   itself owner, or who challenges an entry an authority wrote, is ignored (`not-owner`): taking
 *   over a known entry changes nothing;
 * - a rival creation that did not know the first (concurrent) puts an owner-created entry in
 *   dispute: neither claimant owns it until an authority settles it. No delivery order, id or
 *   timestamp lets a late claimant win.
 * Every node derives the same view from the same updates.
 */
export function registryView(
  records: readonly RecordSource[],
  authorities: ReadonlySet<string>,
  isAncestor: (ancestor: string, id: string) => boolean,
  /** The identity of a key (PROTOCOL.md §6a): ownership follows the identity, so a rotated owner keeps its entries. */
  identityOf: (key: string) => string = (k) => k,
): RegistryView {
  const states = new Map<string, EntryState>();
  const same = (a: string, b: string): boolean => a === b || identityOf(a) === identityOf(b);
  const ignored: IgnoredChange[] = [];
  for (const src of records) {
    const rec = parse(src.value);
    const v = src.value as Record<string, unknown> | null;
    const skip = (reason: IgnoredChange['reason']): void => void ignored.push({ writer: src.writer, kind: v?.kind, id: v?.id, reason });
    const w = src.writer;
    if (rec === null || w === null) {
      skip(rec === null ? 'malformed' : 'unknown-writer');
      continue;
    }
    const key = `${rec.kind}/${rec.id}`;
    const st = states.get(key);
    const fresh = st === undefined || !st.nonces.has(rec.nonce);
    const set = (authorityVersion: number): void => {
      const next = st ?? { entry: null, createdIn: src.updateId, nonces: new Set<string>(), authorityVersion: 0 };
      next.entry = { ...rec, writtenBy: w };
      next.nonces.add(rec.nonce);
      next.authorityVersion = authorityVersion;
      states.set(key, next);
    };
    if (authorities.has(w)) {
      if (st !== undefined && rec.version <= st.authorityVersion) skip('stale-version');
      else if (!fresh) skip('replayed-nonce');
      else set(rec.version);
    } else if (st === undefined) {
      if (w === rec.owner) set(0);
      else skip('not-owner');
    } else if (st.entry !== null && same(w, st.entry.owner)) {
      if (rec.version <= st.entry.version) skip('stale-version');
      else if (!fresh) skip('replayed-nonce');
      else set(st.authorityVersion);
    } else if (st.entry === null && w === rec.owner && !isAncestor(st.createdIn, src.updateId)) {
      skip('disputed');
    } else if (st.entry !== null && w === rec.owner && !authorities.has(st.entry.writtenBy) && !isAncestor(st.createdIn, src.updateId)) {
      st.entry = null; // a rival creation that did not know the first: dispute
      skip('disputed');
    } else {
      skip('not-owner');
    }
  }
  const entries = [...states.values()].flatMap((s) => (s.entry === null ? [] : [s.entry]));
  const disputed = [...states.entries()].filter(([, s]) => s.entry === null).map(([k]) => k).sort();
  entries.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { entries, disputed, ignored };
}

/** A feed's contributor weights from the registry, or null when the feed is not registered. */
export function feedWeights(view: RegistryView, feed: string): ReadonlyMap<string, number> | null {
  const e = view.entries.find((x) => x.kind === 'feed' && x.id === feed);
  return e === undefined ? null : new Map(Object.entries(e.body.contributors as Record<string, number>));
}
