/** Error codes of the HTTP API besides the log's rejection codes (docs/API.md). */
export enum ApiErrorCode {
  NotFound = 'not-found',
  MethodNotAllowed = 'method-not-allowed',
  UnsupportedMediaType = 'unsupported-media-type',
  PayloadTooLarge = 'payload-too-large',
  BadJson = 'bad-json',
  BadRequest = 'bad-request',
  RateLimited = 'rate-limited',
  QueueFull = 'queue-full',
  Unavailable = 'unavailable',
  /** The answer would exceed a response bound; the message names the paged route to use. */
  TooLarge = 'too-large',
}

/** An HTTP error with a typed code; rendered as { "error": { "code", "message" } }. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
