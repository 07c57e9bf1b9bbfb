import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Batches smaller than this are verified inline (a round trip to a worker costs more). */
export const VERIFY_POOL_MIN_BATCH = 64;
/** Most workers (one per core, up to this). */
export const VERIFY_POOL_MAX_WORKERS = 4;
/** Batches queued per worker before `verify` waits (bounds memory held in messages). */
export const VERIFY_POOL_QUEUE_PER_WORKER = 4;

interface Job {
  resolve: (ok: boolean[]) => void;
  reject: (err: Error) => void;
}

/**
 * Strict Ed25519 verification on worker threads, so a large sync batch uses every core. The
 * results only ever say "this exact byte string verified": the caller passes them to
 * Log.offer(bytes, { signatureVerified }) for those same bytes. Workers are unref'd: the pool never
 * keeps the process alive. `close()` terminates them.
 */
export class VerifierPool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private turn = 0;

  constructor(size = Math.min(availableParallelism(), VERIFY_POOL_MAX_WORKERS)) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-worker.ts', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; ok: boolean[] }) => {
        const job = this.jobs.get(m.id);
        this.jobs.delete(m.id);
        job?.resolve(m.ok);
      });
      w.on('error', (err) => {
        for (const job of this.jobs.values()) job.reject(err);
        this.jobs.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Verifies `updates`, split across the workers; one boolean per update, in order. */
  async verify(updates: Uint8Array[]): Promise<boolean[]> {
    const parts = Math.min(this.workers.length, Math.ceil(updates.length / VERIFY_POOL_MIN_BATCH));
    const per = Math.ceil(updates.length / parts);
    const chunks = Array.from({ length: parts }, (_, k) => updates.slice(k * per, (k + 1) * per));
    const results = await Promise.all(chunks.map((c) => this.run(c)));
    return results.flat();
  }

  private run(updates: Uint8Array[]): Promise<boolean[]> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      worker.postMessage({ id, updates });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const job of this.jobs.values()) job.reject(new Error('verifier pool closed'));
    this.jobs.clear();
  }
}
