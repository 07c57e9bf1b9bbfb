import { CodedError } from '../crdt/coded-error.js';

/** Typed errors of the kernels. Codes are stable strings (docs/KERNELS.md lists them). */
export enum KernelErrorCode {
  /** An input is NaN or infinite. */
  NonFinite = 'non-finite',
  /** An input is finite but outside the documented numeric domain. */
  OutOfRange = 'out-of-range',
  /** Shapes disagree, or a count is outside its bound. */
  BadShape = 'bad-shape',
  /** A parameter (trim fraction, f, clip norm, sigma...) is invalid. */
  BadParameter = 'bad-parameter',
  /** A differentially private release would exceed the stream's budget. */
  BudgetExceeded = 'budget-exceeded',
  /** The WebGPU backend cannot run: no adapter, device lost, out of memory. */
  BackendUnavailable = 'backend-unavailable',
}

export class KernelError extends CodedError<KernelErrorCode> {
  constructor(
    code: KernelErrorCode,
    readonly field: string,
    detail: string,
  ) {
    super(code, `${code}: ${field}: ${detail}`);
  }
}

/** Why the WebGPU backend could not run; the label of the fallback metric. */
export enum BackendFailure {
  /** No adapter, no driver, or the Dawn addon did not load: retrying is pointless. */
  NoAdapter = 'no-adapter',
  DeviceLost = 'device-lost',
  OutOfMemory = 'out-of-memory',
  Validation = 'validation',
  Closed = 'closed',
}

/** BACKEND_UNAVAILABLE with its cause, so callers branch on `failure`, never on message text. */
export class BackendUnavailableError extends KernelError {
  constructor(
    readonly failure: BackendFailure,
    detail: string,
  ) {
    super(KernelErrorCode.BackendUnavailable, 'webgpu', detail);
  }
}

export function check(cond: boolean, code: KernelErrorCode, field: string, detail: string): asserts cond {
  if (!cond) throw new KernelError(code, field, detail);
}
