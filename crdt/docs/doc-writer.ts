import * as Y from 'yjs';
import { yjsClientId } from './client-id.js';

/**
 * An honest writer's replica of one document, writing under the author's bound client id. Its
 * updates carry only its own new structs (the transaction's own update, never pending foreign
 * structs), starting at its current clock, as the validation rules require.
 */
export class DocWriter {
  readonly doc = new Y.Doc();
  private readonly clientId: number;

  constructor(authorKeyHex: string, state?: Uint8Array | null, clientIdBits?: number) {
    this.clientId = yjsClientId(authorKeyHex, clientIdBits);
    if (state !== undefined && state !== null && state.length > 0) this.receive(state);
    this.doc.clientID = this.clientId;
  }

  /** Applies updates from others (Yjs re-picks a client id when a remote update uses ours; undo that). */
  receive(update: Uint8Array): void {
    Y.applyUpdate(this.doc, update, 'remote');
    this.doc.clientID = this.clientId;
  }

  /** Runs `mutate` in one transaction and returns exactly the update it made. */
  write(mutate: (doc: Y.Doc) => void): Uint8Array {
    let out: Uint8Array | null = null;
    const capture = (u: Uint8Array, origin: unknown): void => {
      if (origin !== 'remote') out = u;
    };
    this.doc.on('update', capture);
    try {
      this.doc.transact(() => mutate(this.doc), 'local');
    } finally {
      this.doc.off('update', capture);
    }
    return out ?? Y.encodeStateAsUpdate(new Y.Doc());
  }
}

/** One-shot form of DocWriter: the update `mutate` makes on top of `state`. */
export function docUpdateFor(authorKeyHex: string, state: Uint8Array | null, mutate: (doc: Y.Doc) => void): Uint8Array {
  const w = new DocWriter(authorKeyHex, state);
  const u = w.write(mutate);
  w.doc.destroy();
  return u;
}
