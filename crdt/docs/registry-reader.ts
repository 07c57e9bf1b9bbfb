import type { Log } from '../log.js';
import { DocViews } from './doc-views.js';
import { yjsClientId } from './client-id.js';
import { REGISTRY_DOC, registryRecords, registryView, type RegistryView } from './registry.js';

interface Run {
  readonly clock: number;
  readonly end: number;
  readonly updateId: string;
  readonly height: number;
}

/**
 * The registry view of a log, with Yjs items traced back to the updates that carried them.
 * Cached until a registry op arrives or one is excluded (the view is a function of those ops).
 */
export class RegistryReader {
  private cached: { key: string; authorities: ReadonlySet<string>; view: RegistryView } | null = null;

  constructor(
    private readonly log: Log,
    private readonly views: DocViews,
  ) {}

  view(authorities: ReadonlySet<string>): RegistryView {
    const ops = this.log.state.docOps(REGISTRY_DOC);
    const key = `${this.log.state.docLength(REGISTRY_DOC)}:${ops.length}:${this.log.identities.version}`;
    if (this.cached !== null && this.cached.key === key && this.cached.authorities === authorities) return this.cached.view;
    const runs = new Map<number, Run[]>();
    const writers = new Map<number, string>();
    for (const op of ops) {
      const client = yjsClientId(op.author);
      writers.set(client, op.author);
      const height = this.log.get(op.updateId)!.height;
      for (const r of op.runs) {
        const list = runs.get(r.client) ?? [];
        list.push({ clock: r.clock, end: r.clock + r.length, updateId: op.updateId, height });
        runs.set(r.client, list);
      }
    }
    for (const list of runs.values()) list.sort((a, b) => a.clock - b.clock);
    const locate = (client: number, clock: number): { updateId: string; height: number } | null => {
      const list = runs.get(client);
      if (list === undefined) return null;
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const r = list[mid]!;
        if (clock < r.clock) hi = mid - 1;
        else if (clock >= r.end) lo = mid + 1;
        else return { updateId: r.updateId, height: r.height };
      }
      return null;
    };
    const records = registryRecords(this.views.doc(REGISTRY_DOC), writers, locate);
    const view = registryView(records, authorities, (a, b) => this.log.isAncestor(a, b), (k) => this.log.identities.rootOf(k));
    this.cached = { key, authorities, view };
    return view;
  }
}
