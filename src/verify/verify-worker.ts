/**
 * Worker side of the VerifierPool: strict signature checks for batches of update bytes.
 * Answers one boolean per update (false also for bytes that do not decode; the main thread's
 * Log.offer then rejects those with the proper code).
 */
import { parentPort } from 'node:worker_threads';
// Only the modules a check needs (not the crdt barrel, which loads yjs): each worker starts fast.
import { DecodeError } from '../../crdt/errors.js';
import { verifyStrict } from '../../crdt/ed25519.js';
import { decodeSignedParts } from '../../crdt/update.js';
import type { VerifyRequest } from './verifier-pool.js';

parentPort!.on('message', (msg: VerifyRequest) => {
  let at = 0;
  const ok = Array.from(msg.lengths, (length) => {
    const bytes = msg.packed.subarray(at, (at += length));
    try {
      const u = decodeSignedParts(bytes);
      return verifyStrict(u.author, u.signed, u.signature);
    } catch (err) {
      if (err instanceof DecodeError) return false;
      throw err;
    }
  });
  parentPort!.postMessage({ id: msg.id, ok });
});
