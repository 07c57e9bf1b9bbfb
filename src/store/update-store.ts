import { ClassicLevel } from 'classic-level';
import { DecodeError, Log, checkedOffer, decodeUpdate, type SignatureCheck, type UpdateBytesSource } from '../../crdt/index.js';

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

/** First wait before a failed batch is written again; it doubles up to STORE_RETRY_MAX_MS. */
export const STORE_RETRY_BASE_MS = 50;
export const STORE_RETRY_MAX_MS = 5_000;
/** Records read and sent for verification at once during replay (the next batch is read meanwhile). */
export const REPLAY_BATCH_RECORDS = 2_048;
/** Batches being verified at once during replay, beyond the one being applied (at most this x 2 048 records in memory). */
export const REPLAY_VERIFY_AHEAD = 4;

const KEY_BYTES = 4 + 32;

/**
 * How replay checks signatures: on a verifier (the node's worker pool, by default at start-up),
 * inline on this thread, or not at all (`trust`: the operator accepted the risk of a tampered
 * store, config `trustStoreOnStart`; the key-id check below still runs).
 */
export type ReplayVerify = { verifier: (updates: Uint8Array[]) => Promise<SignatureCheck[]> } | 'inline' | 'trust';

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

/** What names a record: its height and id. */
export interface StoreKey {
  readonly height: number;
  readonly id: string;
}

interface QueuedWrite {
  id: string;
  key: Uint8Array;
  value: Uint8Array;
  done: { resolve: () => void; reject: (e: unknown) => void };
}

/** Key: height (u32 big-endian) then id, so key order is a topological order of the DAG. */
function keyOf(rec: StoreKey): Uint8Array {
  const k = new Uint8Array(KEY_BYTES);
  new DataView(k.buffer).setUint32(0, rec.height);
  k.set(Buffer.from(rec.id, 'hex'), 4);
  return k;
}

/**
 * The embedded, crash-safe store of accepted updates (LevelDB through classic-level; see
 * docs/STORAGE.md for why). `append` resolves once the record is in LevelDB's write-ahead log,
 * fsynced when `sync` is on: that is the acknowledgement the HTTP API and sync rely on.
 *
 * It is also where a node's log finds the bytes of its updates (UpdateBytesSource): the log keeps
 * none in memory. An update is readable from the moment `append` is called: from the write queue
 * until its batch is written, from LevelDB after.
 */
export class UpdateStore implements UpdateBytesSource {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  private readonly sync: boolean;
  private queue: QueuedWrite[] = [];
  /** Bytes appended and not yet written, by id (the queue, the batch being written, and appends waiting for room). */
  private readonly unwritten = new Map<string, Uint8Array>();
  /** Reads that LevelDB failed (the caller got undefined). */
  readErrors = 0;
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private spaceWaiters: (() => void)[] = [];
  private closed = false;
  private closing = false;
  private failure: Error | null = null;
  private readonly healthListeners: ((error: Error | null) => void)[] = [];

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

  /** The last write error while batches are failing (they are retried until one succeeds); null when writes work. */
  get error(): Error | null {
    return this.failure;
  }

  /** Called when writes start failing (with the error) and when they work again (null). */
  onHealth(fn: (error: Error | null) => void): void {
    this.healthListeners.push(fn);
  }

  private setFailure(err: Error | null): void {
    if ((err === null) === (this.failure === null)) {
      this.failure = err;
      return;
    }
    this.failure = err;
    for (const fn of this.healthListeners) fn(err);
  }

  /**
   * The bytes of the record at (height, id): from memory while its write is pending, else a
   * synchronous LevelDB read (page-cache hits take microseconds). Undefined when the store does
   * not hold it, is closed, or the read failed (counted in readErrors).
   */
  bytesOf(id: string, height: number): Uint8Array | undefined {
    const pending = this.unwritten.get(id);
    if (pending !== undefined) return pending;
    if (this.closed || this.db.status !== 'open') return undefined;
    try {
      return this.db.getSync(keyOf({ height, id }));
    } catch {
      this.readErrors++;
      return undefined;
    }
  }

  /** Queues `bytes` for writing under `rec`; resolves when it is durable. Waits while the queue is full. */
  async append(rec: StoreKey, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.unwritten.set(rec.id, bytes);
    while (this.queue.length >= STORE_QUEUE_MAX_RECORDS || this.queuedBytes >= STORE_QUEUE_MAX_BYTES) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    const p = new Promise<void>((resolve, reject) => {
      this.queue.push({ id: rec.id, key: keyOf(rec), value: bytes, done: { resolve, reject } });
    });
    this.queuedBytes += bytes.length;
    this.flushing ??= this.flushLoop();
    return p;
  }

  /** Resolves when everything queued so far is durable. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  /**
   * Writes the queue batch by batch. A batch that fails stays at the head of the queue and is
   * written again after a backoff (STORE_RETRY_BASE_MS doubling to STORE_RETRY_MAX_MS) until it
   * succeeds: an accepted update is never silently dropped, and its acknowledgement waits. Only
   * `close` gives up, rejecting what is still unwritten.
   */
  private async flushLoop(): Promise<void> {
    let retryMs = STORE_RETRY_BASE_MS;
    try {
      while (this.queue.length > 0) {
        if (this.queue.length < STORE_BATCH_MAX_RECORDS && this.failure === null) await new Promise((r) => setTimeout(r, STORE_COALESCE_MS));
        const batch = this.queue.splice(0, STORE_BATCH_MAX_RECORDS);
        try {
          await this.db.batch(
            batch.map((w) => ({ type: 'put' as const, key: w.key, value: w.value })),
            { sync: this.sync },
          );
          for (const w of batch) {
            this.unwritten.delete(w.id);
            w.done.resolve();
          }
          retryMs = STORE_RETRY_BASE_MS;
          this.setFailure(null);
        } catch (err) {
          this.setFailure(err instanceof Error ? err : new Error(String(err)));
          if (this.closing) {
            for (const w of [...batch, ...this.queue.splice(0)]) w.done.reject(err);
          } else {
            this.queue.unshift(...batch);
            await new Promise((r) => setTimeout(r, retryMs));
            retryMs = Math.min(2 * retryMs, STORE_RETRY_MAX_MS);
            continue;
          }
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
   * the id its bytes hash to, its signature must verify (`verify`, default inline; node start-up
   * uses its worker pool), it must be accepted by the log, and its height must match the key. The
   * id is an unkeyed hash, so it proves nothing about who wrote the record: only `trust` skips
   * the signature check. Batches of REPLAY_BATCH_RECORDS are verified while the next is read.
   * Failures are reported, never thrown: a damaged record cannot take the node down.
   */
  async replay(log: Log, opts: { verify?: ReplayVerify } = {}): Promise<ReplayReport> {
    const verify = opts.verify ?? 'inline';
    const corrupt: CorruptRecord[] = [];
    let records = 0;
    let applied = 0;
    let engineError: string | null = null;
    const checks = (values: Uint8Array[]): Promise<SignatureCheck[]> =>
      typeof verify === 'object' ? verify.verifier(values) : Promise.resolve(values.map(() => verify === 'trust'));
    const apply = (keys: Uint8Array[], values: Uint8Array[], flags: SignatureCheck[]): void => {
      for (let i = 0; i < keys.length; i++) {
        records++;
        const problem = this.checkAndApply(log, keys[i]!, values[i]!, flags[i] ?? false);
        if (problem === null) applied++;
        else corrupt.push({ key: Buffer.from(keys[i]!).toString('hex'), reason: problem });
      }
    };
    // Up to REPLAY_VERIFY_AHEAD batches are verified while the oldest is applied: a batch this
    // large goes to one worker alone, so one in flight would leave the other cores idle.
    const ahead: { keys: Uint8Array[]; values: Uint8Array[]; flags: Promise<SignatureCheck[]> }[] = [];
    const applyOldest = async (): Promise<void> => {
      const b = ahead.shift()!;
      apply(b.keys, b.values, await b.flags.catch((): SignatureCheck[] => []));
    };
    try {
      let keys: Uint8Array[] = [];
      let values: Uint8Array[] = [];
      for await (const [key, value] of this.db.iterator()) {
        keys.push(key);
        values.push(value);
        if (keys.length < REPLAY_BATCH_RECORDS) continue;
        const flags = checks(values);
        flags.catch(() => undefined); // awaited in applyOldest
        ahead.push({ keys, values, flags });
        if (ahead.length > REPLAY_VERIFY_AHEAD) await applyOldest();
        keys = [];
        values = [];
      }
      if (keys.length > 0) ahead.push({ keys, values, flags: checks(values) });
    } catch (err) {
      engineError = err instanceof Error ? err.message : String(err);
    }
    while (ahead.length > 0) await applyOldest();
    await this.releaseMappings();
    return { records, applied, corrupt, engineError };
  }

  private checkAndApply(log: Log, key: Uint8Array, value: Uint8Array, check: SignatureCheck): string | null {
    if (key.length !== KEY_BYTES) return `key of ${key.length} bytes`;
    const keyId = Buffer.from(key.subarray(4)).toString('hex');
    let id: string;
    if (typeof check === 'string') id = check; // the verifier hashed exactly these bytes
    else if (typeof check === 'object') id = check.id;
    else {
      try {
        id = decodeUpdate(value).id;
      } catch (err) {
        if (err instanceof DecodeError) return `undecodable record: ${err.message}`;
        throw err;
      }
    }
    if (id !== keyId) return `record hashes to ${id}`;
    // `false` (not verified by a pool, or a bad signature there): the log checks it inline.
    const o = log.offer(value, checkedOffer(check));
    if (o.status === 'rejected') return `record rejected on replay: ${o.code}`;
    if (o.status === 'pending') return `record's deps are missing from the store`;
    const height = new DataView(key.buffer, key.byteOffset, 4).getUint32(0);
    if (log.get(id)!.height !== height) return `height ${log.get(id)!.height} does not match the key's ${height}`;
    return null;
  }

  /**
   * Closes and reopens the database: LevelDB memory-maps every table file a read touches and
   * keeps the mapping while the file is in its table cache, so after replay's full scan the whole
   * store would stay resident in this process (about 200 B per update). Reopening drops those
   * mappings; later reads map again only the pages they touch. Nothing is queued during replay.
   */
  private async releaseMappings(): Promise<void> {
    if (this.closing || this.closed || this.queue.length > 0) return;
    await this.db.close();
    await this.db.open();
  }

  /** Low-level access for tests and repair tools. */
  get level(): ClassicLevel<Uint8Array, Uint8Array> {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true; // a failing batch is now rejected instead of retried
    await this.flush();
    this.closed = true;
    await this.db.close();
  }
}
