import * as Y from 'yjs';
import { Author, DocViews, DocWriter, KIND_DOC, Log, Signer, checkedOffer, setHashElement } from '../crdt/index.js';
import { report, sample, seconds, seedFor, spread } from './common.js';

/**
 * `npm run bench -- doc [--authors N] [--updates N]`: doc-op ingest (decode, Byzantine checks,
 * log insertion, then materialising the Y.Doc) next to raw `Y.applyUpdate` of the same Yjs updates
 * into a fresh Y.Doc, in the same run. Signature verification is excluded: the updates are
 * offered with the verifier pool's answer (`checkedOffer({id, element})`: verified, and the id
 * and LtHash element the worker computed with the check), exactly as a node's main thread takes them. Both paths apply the batch
 * the same way: in one Yjs transaction (DocViews does; the raw baseline wraps its applyUpdate calls
 * in one `doc.transact`). `ratio_to_raw_yjs` is raw time over ours, the median of 5 back-to-back
 * pairs, every run measured (the two documents are compared after the runs, not before).
 */
function parse(args: string[], flag: string, dflt: number): number {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function generate(authors: number, perAuthor: number): { wire: Uint8Array[]; yjs: Uint8Array[]; ids: string[] } {
  const writers = Array.from({ length: authors }, (_, i) => {
    const author = new Author(new Signer(seedFor(`doc-${i}`)));
    return { author, w: new DocWriter(author.key) };
  });
  const wire: Uint8Array[] = [];
  const yjs: Uint8Array[] = [];
  const ids: string[] = [];
  let s = 7;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  for (let k = 0; k < perAuthor; k++) {
    for (const { author, w } of writers) {
      // Writers see a recent slice of the others' work, so items reference other clients, and
      // name the latest few updates as deps (as `murmur registry-set` names the frontier).
      for (const u of yjs.slice(-authors)) w.receive(u);
      const seen = ids.slice(-4);
      const u = w.write((d) => {
        if (k % 2 === 0) {
          const t = d.getText('notes');
          t.insert(rnd(t.length + 1), 'edit ');
        } else d.getMap('settings').set(`key-${rnd(50)}`, k);
      });
      yjs.push(u);
      const next = author.next([{ kind: KIND_DOC, body: { doc: 'bench', update: u } }], k, seen);
      wire.push(next.bytes);
      ids.push(next.id);
    }
  }
  return { wire, yjs, ids };
}

export async function main(args: string[]): Promise<void> {
  const authors = parse(args, '--authors', 20);
  const per = parse(args, '--updates', 500);
  const { wire, yjs, ids } = generate(authors, per);
  // Both paths take the updates in the order they were written (causal order). Out of order,
  // raw Yjs parks updates as pending and re-merges them on every apply (quadratic), which would
  // flatter murmur, whose DocViews applies ops in topological order.
  const order = [...wire.keys()];
  // What a verifier worker hands the main thread with each check: the id and its digest element.
  const elements = ids.map((id) => setHashElement(id));
  const raw = (): string => {
    const d = new Y.Doc();
    d.transact(() => {
      for (const i of order) Y.applyUpdate(d, yjs[i]!);
    });
    return d.getText('notes').toString();
  };
  const ours = (): string => {
    const log = new Log();
    for (const i of order) log.offer(wire[i]!, checkedOffer({ id: ids[i]!, element: elements[i]! }));
    return new DocViews(log.state).doc('bench').getText('notes').toString();
  };
  const ratios: number[] = [];
  const raws: number[] = [];
  const ourss: number[] = [];
  const texts = new Set<string>();
  for (let r = 0; r < 5; r++) {
    const a = seconds(() => texts.add(raw()));
    const b = seconds(() => texts.add(ours()));
    ratios.push(a / b);
    raws.push(a);
    ourss.push(b);
  }
  if (texts.size !== 1) throw new Error('the two paths disagree on the document');
  const ratio = sample(ratios);
  const tRaw = sample(raws).median * 5;
  const tOurs = sample(ourss).median * 5;
  report(
    [
      ['doc updates (authors x updates each)', `${wire.length} (${authors} x ${per}), in causal order`],
      ['raw Y.applyUpdate updates/s', wire.length / (tRaw / 5)],
      ['murmur doc ingest updates/s (no signatures)', wire.length / (tOurs / 5)],
      [`ratio_to_raw_yjs (target >= 0.5): ${spread(ratio)}`, ratio.median],
    ],
    { bench: 'doc', method: 'cold-median-of-5', store_sync: true, batched_alike: 'one transaction each', updates: wire.length, raw_updates_per_s: Math.round(wire.length / (tRaw / 5)), ingest_updates_per_s: Math.round(wire.length / (tOurs / 5)), ratio_to_raw_yjs: Number(ratio.median.toFixed(3)), ratio_to_raw_yjs_min: Number(ratio.min.toFixed(3)), ratio_to_raw_yjs_max: Number(ratio.max.toFixed(3)) },
  );
}
