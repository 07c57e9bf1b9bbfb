import * as Y from 'yjs';
import { KIND_DOC, type OpInput } from '../../crdt/index.js';

/** A doc op carrying `update` for document `doc`. */
export function docOp(doc: string, update: Uint8Array): OpInput {
  return { kind: KIND_DOC, body: { doc, update } };
}

/** A Yjs update written under an arbitrary client id (for Byzantine writers). */
export function rawYjsUpdate(clientId: number, mutate: (doc: Y.Doc) => void, state?: Uint8Array): Uint8Array {
  const doc = new Y.Doc();
  if (state !== undefined) Y.applyUpdate(doc, state);
  doc.clientID = clientId;
  const before = Y.encodeStateVector(doc);
  doc.transact(() => mutate(doc));
  return Y.encodeStateAsUpdate(doc, before);
}

export function registryRecord(kind: string, id: string, owner: string, version: number, body: Record<string, unknown>, nonce = `n${version}`): Record<string, unknown> {
  return { kind, id, version, timestampMs: 1_000 + version, nonce, owner, body };
}
