import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { KernelError, KernelErrorCode } from '../../kernels/index.js';
import { ConfigError } from '../errors.js';

/**
 * Largest ledger file: read before every release, and never written larger (a charge that would
 * need more is refused with budget-exceeded, so no ledger is written that would then be refused).
 */
export const PRIVACY_LEDGER_MAX_BYTES = 16 * 1024 * 1024;

const FORMAT = 'a JSON object {"version": 1, "rho": {"<stream>": <rho >= 0>, ...}}; move the file away only to reset the spend on purpose';

/**
 * A contributor's privacy spend per stream, kept beside its key (`<key>.privacy.json`, mode 0600)
 * so a new run does not hand a stream its budget back. Written whole on every charge, atomically
 * (temporary file, fsync, rename, fsync of the directory), before the noisy delta is signed. A file
 * that cannot be read as a ledger is refused (ConfigError): starting from zero would overspend.
 */
export class PrivacyLedger {
  constructor(
    readonly path: string,
    private readonly maxBytes = PRIVACY_LEDGER_MAX_BYTES,
  ) {}

  load(): [string, number][] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path);
    if (text.length > this.maxBytes) throw new ConfigError(this.path, `at most ${this.maxBytes} bytes (${FORMAT})`, `${text.length} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.toString('utf8'));
    } catch {
      throw new ConfigError(this.path, FORMAT, 'text that is not JSON');
    }
    const rho = (parsed as { rho?: unknown } | null)?.rho;
    if ((parsed as { version?: unknown } | null)?.version !== 1 || typeof rho !== 'object' || rho === null || Array.isArray(rho)) throw new ConfigError(this.path, FORMAT);
    const entries = Object.entries(rho as Record<string, unknown>);
    for (const [stream, v] of entries) if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${this.path}: rho.${stream}`, 'a finite number >= 0', v);
    return entries as [string, number][];
  }

  save(entries: Iterable<readonly [string, number]>): void {
    const text = JSON.stringify({ version: 1, rho: Object.fromEntries(entries) }) + '\n';
    if (Buffer.byteLength(text) > this.maxBytes) {
      throw new KernelError(KernelErrorCode.BudgetExceeded, 'privacy', `the privacy ledger would pass ${this.maxBytes} bytes: no more streams can be accounted for`);
    }
    writeFileAtomic(this.path, text);
  }
}
