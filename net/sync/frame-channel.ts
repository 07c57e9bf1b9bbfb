import type { Stream } from '@libp2p/interface';
import * as lp from 'it-length-prefixed';
import { pipe } from 'it-pipe';
import { pushable, type Pushable } from 'it-pushable';
import type { Uint8ArrayList } from 'uint8arraylist';
import { decodeFrame, encodeFrame, SYNC_MAX_FRAME_BYTES, type Frame } from './messages.js';
import { CodedError } from '../../crdt/index.js';

/** Time allowed for our last frames to be written when a session ends. */
export const SYNC_CLOSE_TIMEOUT_MS = 2_000;

export enum SyncErrorCode {
  Timeout = 'sync-timeout',
  BadFrame = 'sync-bad-frame',
  Protocol = 'sync-protocol',
  TooMuch = 'sync-limit',
  Closed = 'sync-closed',
}

export class SyncError extends CodedError<SyncErrorCode> {
  constructor(code: SyncErrorCode, message: string) {
    super(code, `${code}: ${message}`);
  }
}

/**
 * Length-prefixed sync frames over one libp2p stream: at most SYNC_MAX_FRAME_BYTES a frame, a
 * timeout on every read, and byte counters for metrics and the catch-up benchmark.
 */
export class FrameChannel {
  private readonly out: Pushable<Uint8Array>;
  private readonly frames: AsyncIterator<Uint8ArrayList>;
  private readonly writing: Promise<void>;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly stream: Stream,
    private readonly readTimeoutMs: number,
  ) {
    this.out = pushable<Uint8Array>();
    this.writing = pipe(this.out, (src) => lp.encode(src), stream.sink).catch(() => undefined);
    this.frames = lp.decode(stream.source, { maxDataLength: SYNC_MAX_FRAME_BYTES })[Symbol.asyncIterator]();
  }

  send(f: Frame): void {
    const bytes = encodeFrame(f);
    this.bytesOut += bytes.length;
    this.out.push(bytes);
  }

  /** Resolves once every frame sent so far has been handed to the stream (send-side backpressure). */
  async drained(): Promise<void> {
    await this.out.onEmpty();
  }

  /** Next frame, or null at a clean end of stream. `extraMs` extends this one wait. */
  async read(extraMs = 0): Promise<Frame | null> {
    let timer: NodeJS.Timeout | undefined;
    const limit = this.readTimeoutMs + extraMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SyncError(SyncErrorCode.Timeout, `no frame within ${limit} ms`)), limit);
    });
    let bytes: Uint8Array;
    try {
      const next = await Promise.race([this.frames.next(), timeout]);
      if (next.done === true) return null;
      bytes = next.value.subarray();
    } catch (err) {
      if (err instanceof SyncError) throw err;
      // it-length-prefixed's Invalid* errors mean a bad length prefix or an oversized frame (the
      // peer's fault); anything else is the stream going away (reset, closed, refused).
      const name = err instanceof Error ? err.name : '';
      const code = name.startsWith('Invalid') ? SyncErrorCode.BadFrame : SyncErrorCode.Closed;
      throw new SyncError(code, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
    this.bytesIn += bytes.length;
    try {
      return decodeFrame(bytes);
    } catch (err) {
      throw new SyncError(SyncErrorCode.BadFrame, err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * Ends our side: waits up to SYNC_CLOSE_TIMEOUT_MS for queued frames to be written and the stream
   * to close, then aborts it. (A peer that has read our last turn may stop reading at once, and
   * a graceful close can then wait forever.) Returns false when the stream had to be aborted.
   */
  async close(): Promise<boolean> {
    this.out.end();
    const closed = this.writing.then(() => this.stream.close()).then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), SYNC_CLOSE_TIMEOUT_MS);
    });
    const ok = await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    if (!ok) this.stream.abort(new SyncError(SyncErrorCode.Closed, 'close timed out'));
    return ok;
  }

  abort(err: Error): void {
    this.out.end();
    this.stream.abort(err);
  }
}
