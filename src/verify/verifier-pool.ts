import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SignatureCheck } from '../../crdt/index.js';
import { SET_HASH_ELEMENT_BYTES } from '../../crdt/set-hash.js';

/** Most workers (one per core, up to this). */
export const VERIFY_POOL_MAX_WORKERS = 4;
/** A flush splits its updates across workers only in parts of at least this many (a post costs ~30 µs). */
export const VERIFY_POOL_MIN_PER_JOB = 16;
/**
 * A request of at least this many updates (a sync frame) is posted on its own, not coalesced with
 * the turn's others, so its results come back as soon as it is verified (the caller applies it
 * while the pool verifies the next).
 */
export const VERIFY_POOL_ALONE_MIN_UPDATES = 1_024;
/**
 * Updates waiting or being verified. Past this `saturated` is true: gossip and submissions then
 * check signatures inline (the main thread slows down, which is the backpressure) rather than
 * queue more. Sync's own batches are bounded by its sessions (SYNC_MAX_SESSIONS x read-ahead).
 */
export const VERIFY_POOL_MAX_PENDING_UPDATES = 65_536;
/**
 * Workers replaced after a crash over the pool's life; past this a crashed worker is dropped, and
 * with none left every check runs inline (the pool answers "not verified here" at once).
 */
export const VERIFY_POOL_MAX_RESPAWNS = 8;

/**
 * Default scheduling priority (nice) of the worker threads (config `verifierNice`): the lowest. A node's event loop runs libp2p
 * (pings, heartbeats, stream I/O) and applies what the workers verified; under load it must not
 * wait behind verification for a core. Measured with five nodes on two cores: 1-op throughput
 * and publish-to-apply latency both improved (docs/PERFORMANCE.md, propagation).
 */
export const VERIFY_WORKER_NICE = 19;

/** What a worker is started with. */
export interface VerifyWorkerData {
  nice: number;
}

/** A batch as posted to a worker: the updates back to back, and their lengths. */
export interface VerifyRequest {
  id: number;
  packed: Uint8Array;
  lengths: Uint32Array;
  /** Also compute each verified update's state-digest element (else `elements` comes back empty). */
  elements: boolean;
}

/** A worker's answer: per update, its id when the signature verifies (computed from the same bytes), else false. */
export interface VerifyAnswer {
  id: number;
  checks: (string | false)[];
  /** Per update, SET_HASH_ELEMENT_BYTES: its state-digest element (zeros where the check failed). */
  elements: Uint8Array;
}

interface Job {
  resolve: (checks: SignatureCheck[]) => void;
  reject: (err: Error) => void;
}

interface Request extends Job {
  updates: Uint8Array[];
  elements: boolean;
}

/** A worker and the jobs posted to it that it has not answered. */
interface Slot {
  worker: Worker;
  jobs: Map<number, Job & { count: number }>;
}

/**
 * Strict Ed25519 verification on worker threads, so the main thread (which runs libp2p) only
 * applies. Requests made in one event-loop turn are coalesced and split across the workers, so a
 * burst of single-update gossip messages costs one post per worker, not one per message. The
 * results only ever say "this exact byte string verified, and this is its id": the caller passes
 * them to Log.offer(bytes, checkedOffer(check)) for those same bytes. Workers are unref'd: the pool never
 * keeps the process alive. `close()` terminates them.
 *
 * A worker that crashes or exits answers its unanswered jobs with "not verified here" (all
 * false), so the log checks those signatures inline and nothing hangs or is lost; it is replaced
 * by a fresh one (at most VERIFY_POOL_MAX_RESPAWNS times), else dropped from the rotation.
 */
export class VerifierPool {
  private readonly slots: Slot[] = [];
  private waiting: Request[] = [];
  private pendingUpdates = 0;
  private flushScheduled = false;
  private nextId = 0;
  private turn = 0;
  private closed = false;
  /** Workers lost to a crash or an unexpected exit so far. */
  crashes = 0;

  constructor(
    size = Math.min(availableParallelism(), VERIFY_POOL_MAX_WORKERS),
    private readonly nice = VERIFY_WORKER_NICE,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./verify-worker.ts', import.meta.url), { workerData: { nice: this.nice } satisfies VerifyWorkerData });
    worker.unref();
    const slot: Slot = { worker, jobs: new Map() };
    worker.on('message', (m: VerifyAnswer) => {
      const job = slot.jobs.get(m.id);
      slot.jobs.delete(m.id);
      const withElements = m.elements.length > 0;
      job?.resolve(m.checks.map((c, i) => (c === false ? false : withElements ? { id: c, element: m.elements.subarray(i * SET_HASH_ELEMENT_BYTES, (i + 1) * SET_HASH_ELEMENT_BYTES) } : c)));
    });
    worker.on('error', () => this.lost(slot));
    worker.on('exit', () => this.lost(slot));
    return slot;
  }

  /** A worker crashed or exited (an error is followed by an exit: the second call finds nothing). */
  private lost(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    for (const job of slot.jobs.values()) {
      if (this.closed) job.reject(new Error('verifier pool closed'));
      else job.resolve(new Array<SignatureCheck>(job.count).fill(false));
    }
    slot.jobs.clear();
    if (this.closed) {
      this.slots.splice(at, 1);
      return;
    }
    this.crashes++;
    if (this.crashes <= VERIFY_POOL_MAX_RESPAWNS) this.slots[at] = this.spawn();
    else this.slots.splice(at, 1);
  }

  get size(): number {
    return this.slots.length;
  }

  /** True when VERIFY_POOL_MAX_PENDING_UPDATES updates are already waiting or being verified. */
  get saturated(): boolean {
    return this.pendingUpdates >= VERIFY_POOL_MAX_PENDING_UPDATES;
  }

  /**
   * Verifies `updates` (with whatever else is asked in this turn); per update, in order, its id
   * (and its state-digest element) when the signature verifies, else false (a SignatureCheck for
   * Log.offer). `elements: false` leaves the elements to the main thread; it applies to a request
   * of VERIFY_POOL_ALONE_MIN_UPDATES or more (smaller ones are coalesced and always get them).
   * Start-up replay asks that: it is bound by the workers, and bringing 2 KiB back per update
   * (4 MiB per batch, allocated and freed once per batch) fragments the allocator (about 130 B per
   * update of RSS after a 1M-update replay, measured).
   */
  verify(updates: Uint8Array[], opts: { elements?: boolean } = {}): Promise<SignatureCheck[]> {
    if (this.closed) return Promise.reject(new Error('verifier pool closed'));
    if (updates.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ updates, resolve, reject, elements: opts.elements ?? true });
      this.pendingUpdates += updates.length;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Posts what was asked since the last flush: small requests coalesced, then each large one alone. */
  private flush(): void {
    this.flushScheduled = false;
    const requests = this.waiting;
    this.waiting = [];
    const small = requests.filter((r) => r.updates.length < VERIFY_POOL_ALONE_MIN_UPDATES);
    if (small.length > 0) this.dispatch(small, true);
    for (const r of requests) if (r.updates.length >= VERIFY_POOL_ALONE_MIN_UPDATES) this.dispatch([r], r.elements);
  }

  /** Posts `requests` as one batch split across the workers. */
  private dispatch(requests: Request[], elements: boolean): void {
    const all = requests.flatMap((r) => r.updates);
    const parts = Math.max(1, Math.min(this.slots.length, Math.floor(all.length / VERIFY_POOL_MIN_PER_JOB)));
    const per = Math.ceil(all.length / parts);
    const results = Array.from({ length: parts }, (_, k) => this.post(all.slice(k * per, (k + 1) * per), elements));
    Promise.all(results).then(
      (chunks) => {
        const flags = chunks.flat();
        let at = 0;
        for (const r of requests) r.resolve(flags.slice(at, (at += r.updates.length)));
      },
      (err: Error) => {
        for (const r of requests) r.reject(err);
      },
    ).finally(() => (this.pendingUpdates -= all.length));
  }

  private post(updates: Uint8Array[], elements: boolean): Promise<SignatureCheck[]> {
    if (this.closed) return Promise.reject(new Error('verifier pool closed'));
    // Every worker lost: the log checks these inline.
    if (this.slots.length === 0) return Promise.resolve(new Array<SignatureCheck>(updates.length).fill(false));
    const id = this.nextId++;
    const slot = this.slots[this.turn++ % this.slots.length]!;
    // One packed buffer, transferred: posting the updates themselves would copy each one's whole
    // backing store (a pooled 8 KiB slab, or the 1 MiB frame it was cut from).
    const lengths = new Uint32Array(updates.length);
    let total = 0;
    updates.forEach((u, i) => (total += lengths[i] = u.length));
    const packed = new Uint8Array(total);
    let at = 0;
    for (const u of updates) {
      packed.set(u, at);
      at += u.length;
    }
    return new Promise((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject, count: updates.length });
      slot.worker.postMessage({ id, packed, lengths, elements } satisfies VerifyRequest, [packed.buffer, lengths.buffer]);
    });
  }

  /**
   * Replaces every idle worker with a fresh one. After a bulk job (start-up replay verifies every
   * stored update) a worker's heap and malloc arenas stay at their peak; a new thread starts at an
   * idle worker's size (measured: about 30 MiB back per worker after a 1M-update replay). Workers
   * with jobs in flight are kept.
   */
  async recycle(): Promise<void> {
    if (this.closed) return;
    const idle = this.slots.filter((s) => s.jobs.size === 0);
    for (const s of idle) this.slots[this.slots.indexOf(s)] = this.spawn(); // lost() then ignores the old one
    await Promise.all(idle.map((s) => s.worker.terminate()));
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.slice();
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) this.lost(s); // rejects what is left, if an exit event has not yet
    for (const r of this.waiting.splice(0)) r.reject(new Error('verifier pool closed'));
  }
}
