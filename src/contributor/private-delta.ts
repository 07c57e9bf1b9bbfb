import { randomBytes } from 'node:crypto';
import { KernelErrorCode, PrivacyAccountant, check, type PrivacyBudget } from '../../kernels/index.js';
import type { DeltaPrivacy } from '../../crdt/index.js';
import { PrivacyLedger } from './privacy-ledger.js';

/** Bytes of CSPRNG output drawn per call (one refill serves 2 048 normal draws). */
const RANDOM_REFILL_BYTES = 16 * 1024;

/**
 * Standard normal draws from the contributor's CSPRNG (node:crypto): Box-Muller over 53-bit
 * uniforms in (0, 1). Nothing about them is derivable from public values: that is the point.
 * `random` is injectable for tests of the arithmetic only; the default is randomBytes.
 */
export class CsprngGaussian {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private spare: number | null = null;

  constructor(private readonly random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))) {}

  /** A uniform double in (0, 1) from 53 random bits (0 is excluded: log(0) would be -inf). */
  private uniform(): number {
    for (;;) {
      if (this.pos + 8 > this.buf.length) {
        this.buf = this.random(RANDOM_REFILL_BYTES);
        this.pos = 0;
      }
      const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
      this.pos += 8;
      const u = ((v.getUint32(0) >>> 5) * 2 ** 26 + (v.getUint32(4) >>> 6)) / 2 ** 53;
      if (u > 0) return u;
    }
  }

  next(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

/**
 * Local DP of one contribution: clips `values` to L2 norm `clipNorm` (scaled down, never up), then
 * adds N(0, (noiseMultiplier * clipNorm)^2) to every coordinate, in float64, from the CSPRNG.
 * Returns the noised vector and what was done (the op declares `privacy`).
 */
export function privatize(values: Float32Array, privacy: DeltaPrivacy, gaussian = new CsprngGaussian()): { values: Float32Array; norm: number; clipFactor: number } {
  check(Number.isFinite(privacy.clipNorm) && privacy.clipNorm > 0, KernelErrorCode.BadParameter, 'clipNorm', 'a finite number > 0');
  check(Number.isFinite(privacy.noiseMultiplier) && privacy.noiseMultiplier >= 0, KernelErrorCode.BadParameter, 'noiseMultiplier', 'a finite number >= 0');
  let sum = 0;
  for (const v of values) {
    check(Number.isFinite(v), KernelErrorCode.NonFinite, 'values', 'finite numbers');
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  const clipFactor = norm > privacy.clipNorm ? privacy.clipNorm / norm : 1;
  const sigma = privacy.noiseMultiplier * privacy.clipNorm;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * clipFactor + (sigma > 0 ? sigma * gaussian.next() : 0);
  return { values: out, norm, clipFactor };
}

/**
 * The contributor's own accountant: zCDP per stream (rho = clip^2 / (2 sigma^2) per release, so
 * rho = 1 / (2 z^2) whatever the clip), reported as (epsilon, delta); persisted beside the key.
 * `charge` writes the new spend to disk before it returns and refuses (budget-exceeded, nothing
 * recorded) a release that would pass the budget.
 */
export class ContributorAccountant {
  private readonly ledger: PrivacyLedger;
  private readonly accountant: PrivacyAccountant;

  constructor(ledgerPath: string, budget: PrivacyBudget) {
    this.ledger = new PrivacyLedger(ledgerPath);
    this.accountant = new PrivacyAccountant(budget, this.ledger.load());
  }

  spent(stream: string): ReturnType<PrivacyAccountant['spent']> {
    return this.accountant.spent(stream);
  }

  /** Charges one release of a vector clipped to `privacy.clipNorm` with its noise; throws budget-exceeded past the budget. */
  charge(stream: string, privacy: DeltaPrivacy): { rho: number; epsilon: number } {
    const sigma = privacy.noiseMultiplier * privacy.clipNorm;
    check(sigma > 0, KernelErrorCode.BadParameter, 'noiseMultiplier', 'a number > 0 (without noise there is no privacy to account for)');
    return this.accountant.charge(stream, privacy.clipNorm, sigma, (s, rho) => this.ledger.save([...this.accountant.entries().filter(([k]) => k !== s), [s, rho]]));
  }
}
