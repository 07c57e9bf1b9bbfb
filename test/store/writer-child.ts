/**
 * Child process for the kill -9 test: writes a stream of updates to a store and prints
 * "ack <id>" for each one whose append has resolved. The parent kills it mid-stream.
 */
import { Log } from '../../crdt/index.js';
import { UpdateStore } from '../../src/store/update-store.js';
import { attest, authorFor } from '../helpers/fixtures.js';

const dir = process.argv[2]!;
const store = new UpdateStore(dir, { sync: process.argv[3] === 'sync' });
await store.open();
const log = new Log();
await store.replay(log);
const author = authorFor(`kill-${process.pid}`);
log.onAccept((rec, bytes) => {
  void store.append(rec, bytes).then(() => process.stdout.write(`ack ${rec.id}\n`));
});
for (let i = 0; ; i++) {
  log.offer(author.next([attest('K/V', i, i)], i, log.frontier(4)).bytes);
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
