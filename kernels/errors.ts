/** Typed errors of the kernels. Codes are stable strings (docs/KERNELS.md lists them). */
export enum KernelErrorCode {
  /** An input is NaN or infinite. */
  NonFinite = 'NON_FINITE',
  /** An input is finite but outside the documented numeric domain. */
  OutOfRange = 'OUT_OF_RANGE',
  /** Shapes disagree, or a count is outside its bound. */
  BadShape = 'BAD_SHAPE',
  /** A parameter (trim fraction, f, clip norm, sigma...) is invalid. */
  BadParameter = 'BAD_PARAMETER',
  /** A differentially private release would exceed the stream's budget. */
  BudgetExceeded = 'BUDGET_EXCEEDED',
  /** The WebGPU backend cannot run: no adapter, device lost, out of memory. */
  BackendUnavailable = 'BACKEND_UNAVAILABLE',
}

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    readonly field: string,
    detail: string,
  ) {
    super(`${code}: ${field}: ${detail}`);
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
