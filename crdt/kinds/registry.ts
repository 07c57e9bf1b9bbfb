import { DecodeError, RejectCode } from '../errors.js';

/**
 * A kind of op: its number on the wire, a strict payload decoder and the matching encoder.
 * Decoders throw DecodeError(bad-payload) on anything their encoder would not produce, and must be
 * pure: the verdict may depend on the payload bytes alone. Adding a kind never touches another
 * kind's codec. The set of kinds is part of the protocol (docs/PROTOCOL.md, "Op kinds").
 */
export interface OpKind<T> {
  readonly kind: number;
  readonly name: string;
  decode(payload: Uint8Array): T;
  encode(body: T): Uint8Array;
}

export interface DecodedOp {
  readonly kind: number;
  readonly body: unknown;
}

export class KindRegistry {
  private readonly kinds = new Map<number, OpKind<unknown>>();

  register<T>(k: OpKind<T>): this {
    if (this.kinds.has(k.kind)) throw new Error(`op kind ${k.kind} is already registered`);
    this.kinds.set(k.kind, k as OpKind<unknown>);
    return this;
  }

  get(kind: number): OpKind<unknown> | undefined {
    return this.kinds.get(kind);
  }

  /** Decodes one op payload; throws DecodeError(unknown-kind | bad-payload). */
  decode(kind: number, payload: Uint8Array): unknown {
    const k = this.kinds.get(kind);
    if (k === undefined) throw new DecodeError(RejectCode.UnknownKind, `unknown op kind ${kind}`);
    return k.decode(payload);
  }
}
