import * as Y from 'yjs';
import type { DerivedState, DocOpView } from '../state.js';
import { yjsClientId } from './client-id.js';

interface Cached {
  doc: Y.Doc;
  /** Keys (updateId:index) of the ops applied, in order. */
  applied: string[];
  appliedSet: Set<string>;
}

const keyOf = (o: DocOpView): string => `${o.updateId}:${o.index}`;

/**
 * The Y.Doc of every document: the counted doc ops applied in topological order. Cached and
 * extended as ops arrive; rebuilt from scratch when an equivocation excludes ops already applied,
 * so every node holding the same updates holds the same Y.Doc.
 */
export class DocViews {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly state: DerivedState) {}

  doc(name: string): Y.Doc {
    const ops = this.state.docOps(name);
    let c = this.cache.get(name);
    const keys = new Set(ops.map(keyOf));
    if (c === undefined || c.applied.some((k) => !keys.has(k))) {
      c?.doc.destroy();
      c = { doc: new Y.Doc(), applied: [], appliedSet: new Set() };
      this.cache.set(name, c);
    }
    for (const op of ops) {
      const k = keyOf(op);
      if (c.appliedSet.has(k)) continue;
      Y.applyUpdate(c.doc, op.update);
      c.applied.push(k);
      c.appliedSet.add(k);
    }
    return c.doc;
  }

  /** Yjs client id -> author key, for every author with a counted op in `name`. */
  writers(name: string): Map<number, string> {
    const out = new Map<number, string>();
    for (const op of this.state.docOps(name)) out.set(yjsClientId(op.author), op.author);
    return out;
  }
}
