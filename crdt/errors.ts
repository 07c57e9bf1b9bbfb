import { CodedError } from './coded-error.js';

/** Why an update was rejected. Each code and its rule are specified in docs/PROTOCOL.md. */
export enum RejectCode {
  TooLarge = 'too-large',
  BadEncoding = 'bad-encoding',
  BadVersion = 'bad-version',
  BadSignature = 'bad-signature',
  BadId = 'bad-id',
  UnknownKind = 'unknown-kind',
  BadPayload = 'bad-payload',
  /** A delta that declares a clip norm carries values beyond what clipping plus its declared noise allows (§4, kind 2). */
  ClipExceeded = 'clip-exceeded',
  BadSeq = 'bad-seq',
  BadDeps = 'bad-deps',
  DepRejected = 'dep-rejected',
  /** A doc op writes structs under a Yjs client id other than the author's bound one. */
  DocForeignClient = 'doc-foreign-client',
  /** A doc op starts below the author's clock in that doc (reuses clocks). */
  DocClockReuse = 'doc-clock-reuse',
  /** A doc op starts above the author's clock, or leaves a gap (skips clocks). */
  DocClockGap = 'doc-clock-gap',
  /** A doc op does what its document forbids (deletions in the append-only registry). */
  DocForbidden = 'doc-forbidden',
}

/** Codes of argument errors thrown by the library's own API (never by network input). */
export enum ArgumentCode {
  InvalidArgument = 'invalid-argument',
}

/** A structural problem in bytes being decoded; carries the reject code it maps to. */
export class DecodeError extends CodedError<RejectCode> {}

/** Thrown by library functions called with arguments they cannot use (a programming error). */
export class MurmurArgumentError extends TypeError {
  readonly code = ArgumentCode.InvalidArgument;
  readonly field: string;
  readonly expected: string;
  constructor(field: string, expected: string) {
    super(`${field}: expected ${expected}`);
    this.name = 'MurmurArgumentError';
    this.field = field;
    this.expected = expected;
  }
}

export function badEncoding(message: string): DecodeError {
  return new DecodeError(RejectCode.BadEncoding, message);
}

export function badPayload(message: string): DecodeError {
  return new DecodeError(RejectCode.BadPayload, message);
}
