/**
 * Every bound the log enforces, in one place. Values that affect validity (the MAX_* wire limits)
 * are protocol constants: changing one is a protocol change (docs/PROTOCOL.md). Values that only
 * bound local memory (PENDING_*, REJECTED_CACHE_*) may differ between nodes without splitting them.
 */

/** Protocol version byte at offset 0 of every update. */
export const UPDATE_VERSION = 1;
/** Largest update accepted on the wire, in bytes (checked before any decoding). */
export const MAX_UPDATE_BYTES = 1_048_576;
/** Most deps (causal predecessors) one update may name. */
export const MAX_DEPS = 32;
/** Most ops one update may carry. */
export const MAX_OPS = 1024;
/** Largest integer a varint may carry (JavaScript's safe-integer range, 2^53 - 1). */
export const MAX_VARINT = Number.MAX_SAFE_INTEGER;
/** Longest varint, in bytes (ceil(53 / 7)). */
export const MAX_VARINT_BYTES = 8;

/** Pending (missing-deps) buffer: total updates held. */
export const PENDING_MAX_COUNT = 50_000;
/** Pending buffer: total bytes held (wire bytes plus PENDING_ENTRY_OVERHEAD_BYTES each). */
export const PENDING_MAX_BYTES = 256 * 1024 * 1024;
/** Pending buffer: updates held for one author. */
export const PENDING_MAX_COUNT_PER_AUTHOR = 20_000;
/** Pending buffer: bytes held for one author. */
export const PENDING_MAX_BYTES_PER_AUTHOR = 64 * 1024 * 1024;
/** Bookkeeping charged per pending entry on top of its wire bytes. */
export const PENDING_ENTRY_OVERHEAD_BYTES = 256;
/** When the total bound is hit, evict down to this fraction of it (batch eviction, amortised). */
export const PENDING_EVICT_TO_FRACTION = 0.9;

/** Ids of rejected updates remembered (so repeats and their descendants are answered at once). */
export const REJECTED_CACHE_MAX_ENTRIES = 65_536;
/** Parsed public keys (OpenSSL KeyObjects) kept for fast verification. */
export const KEY_CACHE_MAX_ENTRIES = 8_192;
