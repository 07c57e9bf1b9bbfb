import { RejectCode } from '../errors.js';
import type { DecodedOp } from '../kinds/registry.js';
import { KIND_DOC, type DecodedDocOp } from '../kinds/doc.js';
import { yjsClientId } from './client-id.js';

/** Documents that only grow: their updates may not carry deletions. */
export const APPEND_ONLY_DOCS: ReadonlySet<string> = new Set(['registry']);

export interface DocRejection {
  readonly code: RejectCode;
  readonly reason: string;
}

type Clocks = ReadonlyMap<string, number>;
const NONE: Clocks = new Map();
const KEEP_NONE = { clocks: undefined };

/**
 * The Yjs clock of every author in every document, along the author's own chain. An author's
 * doc op must write only under its bound client id, starting exactly at its clock after its
 * previous update (seq - 1, always a dep, so always in the causal past), with no gaps. Every node
 * judges this identically, whatever the delivery order (docs/PROTOCOL.md, "Documents").
 */
export class DocLedger {
  /** Update id -> the author's clocks after it; only for authors that ever wrote a doc. */
  private readonly after = new Map<string, Clocks>();

  constructor(private readonly clientIdBits?: number) {}

  /** The client id `authorKey` must write under. */
  clientOf(authorKey: string): number {
    return yjsClientId(authorKey, this.clientIdBits);
  }

  /** Checks `ops` of an update by `authorKey` whose own predecessor is `prevId`. */
  check(authorKey: string, prevId: string | undefined, ops: readonly DecodedOp[]): { clocks: Clocks | undefined } | DocRejection {
    const before = (prevId !== undefined ? this.after.get(prevId) : undefined) ?? NONE;
    if (!ops.some((op) => op.kind === KIND_DOC)) return before === NONE ? KEEP_NONE : { clocks: before };
    const client = this.clientOf(authorKey);
    const clocks = new Map(before);
    for (const { kind, body } of ops) {
      if (kind !== KIND_DOC) continue;
      const op = body as DecodedDocOp;
      if (op.deletes && APPEND_ONLY_DOCS.has(op.doc)) return { code: RejectCode.DocForbidden, reason: `document ${op.doc} is append-only: no deletions` };
      let clock = clocks.get(op.doc) ?? 0;
      for (const run of op.runs) {
        if (run.client !== client) {
          return { code: RejectCode.DocForeignClient, reason: `writes as Yjs client ${run.client}; this author's client id is ${client}` };
        }
        if (run.skip || run.clock > clock) return { code: RejectCode.DocClockGap, reason: `${op.doc}: skips from clock ${clock} to ${run.clock + (run.skip ? run.length : 0)}` };
        if (run.clock < clock) return { code: RejectCode.DocClockReuse, reason: `${op.doc}: clock ${run.clock} is already used (next is ${clock})` };
        clock += run.length;
      }
      clocks.set(op.doc, clock);
    }
    return { clocks };
  }

  record(id: string, clocks: Clocks | undefined): void {
    if (clocks !== undefined) this.after.set(id, clocks);
  }
}
