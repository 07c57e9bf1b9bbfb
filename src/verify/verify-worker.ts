/**
 * Worker side of the VerifierPool: strict signature checks for batches of update bytes.
 * Answers per update the update id when its signature verifies, else false (also for bytes that
 * do not decode; the main thread's Log.offer then rejects those with the proper code).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
// Only the modules a check needs (not the crdt barrel, which loads yjs): each worker starts fast.
import { DecodeError } from '../../crdt/errors.js';
import { verifyStrict } from '../../crdt/ed25519.js';
import { decodeSignedParts } from '../../crdt/update.js';
import { SET_HASH_ELEMENT_BYTES, setHashElement } from '../../crdt/set-hash.js';
import type { VerifyAnswer, VerifyRequest, VerifyWorkerData } from './verifier-pool.js';

/**
 * Runs this thread at `nice` (Linux, where a thread's id is a valid target of setpriority): the
 * event loop, which carries libp2p's timers and I/O for the node, then always gets a core before
 * bulk verification does. Elsewhere, or if refused, the thread keeps its priority.
 */
function lowerPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: verification runs at the normal priority
  }
}

lowerPriority((workerData as VerifyWorkerData).nice);

parentPort!.on('message', (msg: VerifyRequest) => {
  let at = 0;
  // Each verified update's state-digest element too (SetHash), so the main thread only adds lanes.
  const elements = new Uint8Array(msg.elements ? msg.lengths.length * SET_HASH_ELEMENT_BYTES : 0);
  const checks = Array.from(msg.lengths, (length, i): string | false => {
    const bytes = msg.packed.subarray(at, (at += length));
    try {
      const u = decodeSignedParts(bytes);
      if (!verifyStrict(u.author, u.signed, u.signature)) return false;
      if (msg.elements) elements.set(setHashElement(u.id), i * SET_HASH_ELEMENT_BYTES);
      return u.id;
    } catch (err) {
      if (err instanceof DecodeError) return false;
      throw err;
    }
  });
  parentPort!.postMessage({ id: msg.id, checks, elements } satisfies VerifyAnswer, [elements.buffer]);
});
