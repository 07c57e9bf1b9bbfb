import type { Log } from '../log.js';
import { DocViews } from './doc-views.js';
import { yjsClientId } from './client-id.js';
import { REGISTRY_DOC, registryRecords, registryView, type RegistryView } from './registry.js';

/** The registry view of a log, with Yjs items traced back to the updates that carried them. */
export class RegistryReader {
  constructor(
    private readonly log: Log,
    private readonly views: DocViews,
  ) {}

  view(authorities: ReadonlySet<string>): RegistryView {
    const ops = this.log.state.docOps(REGISTRY_DOC);
    const runs = new Map<number, { clock: number; end: number; updateId: string; height: number }[]>();
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
    const locate = (client: number, clock: number): { updateId: string; height: number } | null => {
      const hit = runs.get(client)?.find((r) => clock >= r.clock && clock < r.end);
      return hit === undefined ? null : { updateId: hit.updateId, height: hit.height };
    };
    const records = registryRecords(this.views.doc(REGISTRY_DOC), writers, locate);
    return registryView(records, authorities, (a, b) => this.log.isAncestor(a, b));
  }
}
