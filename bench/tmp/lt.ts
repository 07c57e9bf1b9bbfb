import { createHash, randomBytes } from 'node:crypto';
import { setHashElement, SetHash } from '../../crdt/set-hash.js';
const ids = Array.from({ length: 20000 }, () => randomBytes(32));
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  for (const id of ids) setHashElement(id);
  const e = (performance.now() - t) * 1000 / ids.length;
  const sh = new SetHash();
  const els = ids.map((id) => setHashElement(id));
  t = performance.now();
  for (let i = 0; i < ids.length; i++) sh.add(ids[i]!, els[i]);
  const a = (performance.now() - t) * 1000 / ids.length;
  t = performance.now();
  for (const id of ids) createHash('sha256').update(id).digest();
  const s = (performance.now() - t) * 1000 / ids.length;
  t = performance.now();
  for (const id of ids) createHash('shake128', { outputLength: 2048 }).update(id).digest();
  const s2 = (performance.now() - t) * 1000 / ids.length;
  console.log({ elementUs: e.toFixed(2), addUs: a.toFixed(2), sha256Us: s.toFixed(2), shakeFreshUs: s2.toFixed(2) });
}
