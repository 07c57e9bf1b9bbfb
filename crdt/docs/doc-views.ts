import * as Y from 'yjs';
import type { DerivedState } from '../state.js';
import { yjsClientId } from './client-id.js';

interface Cached {
  doc: Y.Doc;
  /** Doc ops (apply order) looked at so far. */
  seen: number;
  /** Which of them were excluded when looked at (exclusion only ever grows). */
  skipped: Set<number>;
}

/**
 * The Y.Doc of every document: the counted doc ops applied in this node's apply order (Yjs
 * content does not depend on it). Cached and extended as ops arrive; rebuilt from scratch when an
 * equivocation excludes an op already applied, so every node holding the same updates holds the
 * same Y.Doc.
 */
export class DocViews {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly state: DerivedState) {}

  doc(name: string): Y.Doc {
    let c = this.cache.get(name);
    if (c !== undefined) {
      for (let k = 0; k < c.seen; k++) {
        if (!c.skipped.has(k) && this.state.docOpAt(name, k).excluded) {
          c.doc.destroy();
          c = undefined;
          break;
        }
      }
    }
    if (c === undefined) this.cache.set(name, (c = { doc: new Y.Doc(), seen: 0, skipped: new Set() }));
    const cached = c;
    const end = this.state.docLength(name);
    // One outer transaction for the batch: Yjs then runs its cleanup once, not once per update.
    cached.doc.transact(() => {
      for (; cached.seen < end; cached.seen++) {
        const op = this.state.docOpAt(name, cached.seen);
        if (op.excluded) cached.skipped.add(cached.seen);
        else Y.applyUpdate(cached.doc, op.update);
      }
    });
    return cached.doc;
  }

  /** Yjs client id -> author key, for every author with a counted op in `name`, by client id. */
  writers(name: string): Map<number, string> {
    const out = new Map<number, string>();
    for (const op of this.state.docOps(name)) out.set(yjsClientId(op.author), op.author);
    return new Map([...out].sort((a, b) => a[0] - b[0]));
  }
}
