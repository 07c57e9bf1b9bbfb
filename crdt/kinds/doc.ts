import * as Y from 'yjs';
import { ByteWriter } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, writeIdent } from './fields.js';

export const KIND_DOC = 4;
/** Largest Yjs update one doc op may carry. */
export const MAX_DOC_UPDATE_BYTES = 256 * 1024;

/** One Yjs update (v1 encoding) for the named document. */
export interface DocOp {
  readonly doc: string;
  readonly update: Uint8Array;
}

/** The struct ranges a Yjs update writes, per client: [clock, clock + length) runs, in order. */
export interface DocWrites {
  readonly runs: readonly { readonly client: number; readonly clock: number; readonly length: number; readonly skip: boolean }[];
  /** Whether the update carries a delete set. */
  readonly deletes: boolean;
}

/** Decoded doc op: the op plus what it writes (parsed once, at decode time). */
export type DecodedDocOp = DocOp & DocWrites;

export const docKind: OpKind<DecodedDocOp> = {
  kind: KIND_DOC,
  name: 'doc',
  decode(payload) {
    const r = payloadReader(payload);
    const doc = readIdent(r, 'doc');
    const n = r.varint(MAX_DOC_UPDATE_BYTES);
    const update = new Uint8Array(r.bytes(n)); // a copy (a Buffer's slice would share memory)
    r.finish();
    if (update.length === 0) throw r.fail('empty Yjs update');
    try {
      const decoded = Y.decodeUpdate(update);
      const runs = decoded.structs.map((s) => ({ client: s.id.client, clock: s.id.clock, length: s.length, skip: s instanceof Y.Skip }));
      return { doc, update, runs, deletes: decoded.ds.clients.size > 0 };
    } catch (err) {
      throw r.fail(`not a Yjs update: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
  encode(d) {
    if (!(d.update instanceof Uint8Array) || d.update.length > MAX_DOC_UPDATE_BYTES) {
      throw new MurmurArgumentError('update', `a Yjs update of at most ${MAX_DOC_UPDATE_BYTES} bytes`);
    }
    const w = new ByteWriter(16 + d.update.length);
    writeIdent(w, d.doc, 'doc');
    return w.varint(d.update.length).bytes(d.update).finish();
  },
};
