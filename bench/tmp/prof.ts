import { Author, KIND_ATTESTATION, Log, Signer } from '../../crdt/index.js';
import { seedFor, shuffle } from '../common.js';
const AUTHORS = 20;
const authors = Array.from({ length: AUTHORS }, (_, k) => new Author(new Signer(seedFor(`author-${k}`))));
const last: string[] = []; const out: Uint8Array[] = [];
for (let i = 0; i < 20000; i++) { const k = i % AUTHORS; const other = last[(k + 1) % AUTHORS];
  const u = authors[k]!.next([{ kind: KIND_ATTESTATION, body: { feed: `FEED-0/USD`, exponent: -8, mantissa: 250_000_000_000 + i, confidence: 50_000, observedAtMs: 1_700_000_000_000 + i, sources: [] } }], 1_700_000_000_000 + i, other === undefined ? [] : [other]);
  last[k] = u.id; out.push(u.bytes); }
const ups = shuffle(out);
const { Session } = await import('node:inspector/promises');
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 50 }); await s.post('Profiler.start');
for (let r = 0; r < 5; r++) { const log = new Log(); for (const u of ups) log.offer(u, { signatureVerified: true }); }
const { profile } = await s.post('Profiler.stop');
// self time by function
const self = new Map<string, number>(); const total = profile.samples!.length;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map<number, number>(); for (const id of profile.samples!) counts.set(id, (counts.get(id) ?? 0) + 1);
for (const [id, c] of counts) { const n = byId.get(id)!; const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + c); }
for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * c / total).toFixed(1).padStart(5), '%', k);
