import { Author, EQUATION, KIND_ATTESTATION, Log, Signer, decodeUpdate, toHex } from '../../crdt/index.js';
import { seedFor, shuffle } from '../common.js';
const AUTHORS = 20;
const authors = Array.from({ length: AUTHORS }, (_, k) => new Author(new Signer(seedFor(`author-${k}`))));
const last: string[] = []; const out: Uint8Array[] = [];
for (let i = 0; i < 20000; i++) { const k = i % AUTHORS; const other = last[(k + 1) % AUTHORS];
  const u = authors[k]!.next([{ kind: KIND_ATTESTATION, body: { feed: `FEED-0/USD`, exponent: -8, mantissa: 250_000_000_000 + i, confidence: 50_000, observedAtMs: 1_700_000_000_000 + i, sources: [] } }], 1_700_000_000_000 + i, other === undefined ? [] : [other]);
  last[k] = u.id; out.push(u.bytes); }
const ups = shuffle(out);
const triples = ups.map((b) => { const u = decodeUpdate(b); return { key: u.author, hex: toHex(u.author), msg: u.signed, sig: u.signature }; });
for (let r = 0; r < 3; r++) {
  let t = performance.now(); for (const x of triples) EQUATION.holds(x.key, x.msg, x.sig, x.hex); const v = performance.now() - t;
  t = performance.now(); const log = new Log(); for (const u of ups) log.offer(u); const i = performance.now() - t;
  t = performance.now(); const log2 = new Log(); for (const u of ups) log2.offer(u, { signatureVerified: true }); const i2 = performance.now() - t;
  console.log({ verifyUs: (v * 1000 / 20000).toFixed(1), ingestUs: (i * 1000 / 20000).toFixed(1), noSigUs: (i2 * 1000 / 20000).toFixed(1), ratio: (v / i).toFixed(3) });
}
