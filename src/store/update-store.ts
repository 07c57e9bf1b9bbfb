import { ClassicLevel } from 'classic-level';
import { DecodeError, Log, decodeUpdate, type UpdateRecord } from '../../crdt/index.js';

/** Records written per LevelDB batch (group commit). */
export const STORE_BATCH_MAX_RECORDS = 2_048;
/**
 * How long a batch waits for company before it is written, unless STORE_BATCH_MAX_RECORDS are
 * already queued. A LevelDB batch of one record costs about 80 µs of CPU (25 µs of it on the event
 * loop), one of 24 about 7 µs per record: under load a node's applies would otherwise trickle out
 * as tiny batches. It delays only the acknowledgement (the API answer), never gossip or applying.
 */
export const STORE_COALESCE_MS = 10;
/** Writes queued before `append` waits for the disk (backpressure bound). */
export const STORE_QUEUE_MAX_RECORDS = 16_384;
/** Bytes queued before `append` waits for the disk. */
export const STORE_QUEUE_MAX_BYTES = 64 * 1024 * 1024;

const KEY_BYTES = 4 + 32;

export interface StoreOptions {
  /** fsync every batch (survives power loss, not only process death). Default true. */
  sync?: boolean;
}

/** One record that failed its integrity check during replay. */
export interface CorruptRecord {
  readonly key: string;
  readonly reason: string;
}

export interface ReplayReport {
  readonly records: number;
  readonly applied: number;
  readonly corrupt: readonly CorruptRecord[];
  /** Set when LevelDB itself failed mid-iteration; records after that point were not read. */
  readonly engineError: string | null;
}

interface QueuedWrite {
  key: Uint8Array;
  value: Uint8Array;
  done: { resolve: () => void; reject: (e: unknown) => void };
}

/** Key: height (u32 big-endian) then id, so key order is a topological order of the DAG. */
function keyOf(rec: UpdateRecord): Uint8Array {
  const k = new Uint8Array(KEY_BYTES);
  new DataView(k.buffer).setUint32(0, rec.height);
  k.set(Buffer.from(rec.id, 'hex'), 4);
  return k;
}

/**
 * The embedded, crash-safe store of accepted updates (LevelDB through classic-level; see
 * docs/STORAGE.md for why). `append` resolves once the record is in LevelDB's write-ahead log,
 * fsynced when `sync` is on: that is the acknowledgement the HTTP API and sync rely on.
 */
export class UpdateStore {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  private readonly sync: boolean;
  private queue: QueuedWrite[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private spaceWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    readonly dir: string,
    opts: StoreOptions = {},
  ) {
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    this.sync = opts.sync ?? true;
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  /** Queues `rec` for writing; resolves when it is durable. Waits while the queue is full. */
  async append(rec: UpdateRecord): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    while (this.queue.length >= STORE_QUEUE_MAX_RECORDS || this.queuedBytes >= STORE_QUEUE_MAX_BYTES) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    const p = new Promise<void>((resolve, reject) => {
      this.queue.push({ key: keyOf(rec), value: rec.bytes, done: { resolve, reject } });
    });
    this.queuedBytes += rec.bytes.length;
    this.flushing ??= this.flushLoop();
    return p;
  }

  /** Resolves when everything queued so far is durable. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.queue.length < STORE_BATCH_MAX_RECORDS) await new Promise((r) => setTimeout(r, STORE_COALESCE_MS));
        const batch = this.queue.splice(0, STORE_BATCH_MAX_RECORDS);
        try {
          await this.db.batch(
            batch.map((w) => ({ type: 'put' as const, key: w.key, value: w.value })),
            { sync: this.sync },
          );
          for (const w of batch) w.done.resolve();
        } catch (err) {
          for (const w of batch) w.done.reject(err);
        }
        for (const w of batch) this.queuedBytes -= w.value.length;
        for (const wake of this.spaceWaiters.splice(0)) wake();
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Rebuilds `log` from disk in key (topological) order. Each record is checked: its key must name
   * the id its bytes hash to, it must be accepted by the log, and its height must match the key.
   * `verifySignatures: false` (node start-up) trusts signatures of records whose id checks out,
   * since only verified updates are ever written; `murmur verify-store` verifies everything.
   * Failures are reported, never thrown: a damaged record cannot take the node down.
   */
  async replay(log: Log, opts: { verifySignatures?: boolean } = {}): Promise<ReplayReport> {
    const verify = opts.verifySignatures ?? true;
    const corrupt: CorruptRecord[] = [];
    let records = 0;
    let applied = 0;
    let engineError: string | null = null;
    try {
      for await (const [key, value] of this.db.iterator()) {
        records++;
        const keyHex = Buffer.from(key).toString('hex');
        const problem = this.checkAndApply(log, key, value, verify);
        if (problem === null) applied++;
        else corrupt.push({ key: keyHex, reason: problem });
      }
    } catch (err) {
      engineError = err instanceof Error ? err.message : String(err);
    }
    return { records, applied, corrupt, engineError };
  }

  private checkAndApply(log: Log, key: Uint8Array, value: Uint8Array, verify: boolean): string | null {
    if (key.length !== KEY_BYTES) return `key of ${key.length} bytes`;
    const keyId = Buffer.from(key.subarray(4)).toString('hex');
    let id: string;
    try {
      id = decodeUpdate(value).id;
    } catch (err) {
      if (err instanceof DecodeError) return `undecodable record: ${err.message}`;
      throw err;
    }
    if (id !== keyId) return `record hashes to ${id}`;
    // Without `verify`, the id check above (SHA-256 over header and signature) is what proves the
    // bytes are the ones whose signature this node verified before storing them.
    const o = log.offer(value, { signatureVerified: !verify });
    if (o.status === 'rejected') return `record rejected on replay: ${o.code}`;
    if (o.status === 'pending') return `record's deps are missing from the store`;
    const height = new DataView(key.buffer, key.byteOffset, 4).getUint32(0);
    if (log.get(id)!.height !== height) return `height ${log.get(id)!.height} does not match the key's ${height}`;
    return null;
  }

  /** Low-level access for tests and repair tools. */
  get level(): ClassicLevel<Uint8Array, Uint8Array> {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.db.close();
  }
}
