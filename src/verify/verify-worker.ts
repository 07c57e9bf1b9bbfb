/**
 * Worker side of the VerifierPool: strict signature checks for batches of update bytes.
 * Answers one boolean per update (false also for bytes that do not decode; the main thread's
 * Log.offer then rejects those with the proper code).
 */
import { parentPort } from 'node:worker_threads';
import { DecodeError, decodeUpdate, verifyStrict } from '../../crdt/index.js';
import type { VerifyRequest } from './verifier-pool.js';

parentPort!.on('message', (msg: VerifyRequest) => {
  let at = 0;
  const ok = Array.from(msg.lengths, (length) => {
    const bytes = msg.packed.subarray(at, (at += length));
    try {
      const u = decodeUpdate(bytes);
      return verifyStrict(u.author, u.signed, u.signature);
    } catch (err) {
      if (err instanceof DecodeError) return false;
      throw err;
    }
  });
  parentPort!.postMessage({ id: msg.id, ok });
});
