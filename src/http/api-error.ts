import { CodedError } from '../../crdt/index.js';

/** Error codes of the HTTP API besides the log's rejection codes (docs/API.md). */
export enum ApiErrorCode {
  NotFound = 'not-found',
  MethodNotAllowed = 'method-not-allowed',
  UnsupportedMediaType = 'unsupported-media-type',
  PayloadTooLarge = 'payload-too-large',
  BadJson = 'bad-json',
  BadRequest = 'bad-request',
  RateLimited = 'rate-limited',
  Unavailable = 'unavailable',
  /** The answer would exceed a response bound; the message names the paged route to use. */
  TooLarge = 'too-large',
  /** The Host header names neither an IP literal, localhost nor an `apiAllowedHosts` entry (DNS rebinding). */
  BadHost = 'bad-host',
  /** A browser's Origin that is not an allowed host (a cross-site request). */
  BadOrigin = 'bad-origin',
  /** A write without the configured bearer token. */
  Unauthorized = 'unauthorized',
  /** A read asked for node-side noise, which no longer exists (docs/PRIVACY.md). */
  NodeNoiseRemoved = 'node-noise-removed',
  /** The request target is not a parseable path. */
  BadTarget = 'bad-target',
  /** 410: the query reaches below the node's retention horizon (docs/STORAGE.md, "Retention"). */
  Compacted = 'compacted',
  /** A masked (secure-aggregation) round: robust rules need individual deltas, which masking hides (docs/PRIVACY.md). */
  MaskedRound = 'masked-round',
  /** 409: the round's secure sum is not available (yet, or at all); `reason` says which (docs/API.md). */
  SecAggIncomplete = 'secagg-incomplete',
}

/** An HTTP error with a typed code; rendered as { "error": { "code", "message" } }. */
export class ApiError extends CodedError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(code, message);
  }
}

/**
 * `from` for a time-bounded read: refused with 410 `compacted` when it reaches below the retention
 * horizon (what is below was dropped; an answer that silently left it out would look complete).
 */
export function aboveHorizon(from: number, horizonMs: number, what: string): number {
  if (from < horizonMs) {
    throw new ApiError(410, ApiErrorCode.Compacted, `${what} before ${horizonMs} were compacted by this node's retention; ask from=${horizonMs} or later, or a node that keeps them`, { horizonMs });
  }
  return from;
}
