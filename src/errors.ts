import { CodedError } from '../crdt/index.js';

/** A config or flag value that cannot be used; names the field and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got?: unknown,
  ) {
    super(`${field}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
    this.name = 'ConfigError';
  }
}

/** Why a node cannot take a write now (HTTP 503 with this code; the client retries later). */
export enum UnavailableCode {
  Stopping = 'stopping',
  /** The store failed a write: writes are refused until it works again (`/health` says why). */
  StoreUnavailable = 'store-unavailable',
  /** Accepted, but not yet on disk within SUBMIT_DURABLE_WAIT_MS: retry the same bytes; a duplicate is answered once it is durable. */
  NotDurable = 'not-durable',
}

export class NodeUnavailableError extends CodedError<UnavailableCode> {}
