import { MurmurArgumentError } from './errors.js';

/** An exact decimal: mantissa x 10^exponent. Never a binary float on the wire. */
export interface Decimal {
  readonly mantissa: number;
  readonly exponent: number;
}

export const MIN_EXPONENT = -18;
export const MAX_EXPONENT = 18;
/** Largest |mantissa| (the zigzag varint must stay a safe integer). */
export const MAX_MANTISSA = 2 ** 52 - 1;

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Parses "2501.37" into { mantissa: 250137, exponent: -2 } exactly (no float arithmetic). */
export function parseDecimal(text: string, field = 'decimal'): Decimal {
  const m = typeof text === 'string' ? DECIMAL_RE.exec(text.trim()) : null;
  if (m === null) throw new MurmurArgumentError(field, 'a decimal number such as 2501.37');
  const frac = m[3] ?? '';
  const digits = (m[2]! + frac).replace(/^0+(?=\d)/, '');
  const mantissa = Number(digits) * (m[1] === '-' && /[1-9]/.test(digits) ? -1 : 1);
  const exponent = frac.length === 0 ? 0 : -frac.length;
  if (!Number.isSafeInteger(mantissa) || Math.abs(mantissa) > MAX_MANTISSA || digits.length > 16) {
    throw new MurmurArgumentError(field, `at most ${MAX_MANTISSA} in magnitude once the point is removed`);
  }
  if (exponent < MIN_EXPONENT) throw new MurmurArgumentError(field, `at most ${-MIN_EXPONENT} decimal places`);
  return { mantissa, exponent };
}

/** Rescales `d` to `exponent` (which must not be above d.exponent); throws if it would overflow. */
export function rescale(d: Decimal, exponent: number, field = 'decimal'): Decimal {
  if (exponent > d.exponent) throw new MurmurArgumentError(field, `no more than ${-exponent} decimal places`);
  const mantissa = d.mantissa * 10 ** (d.exponent - exponent);
  if (!Number.isSafeInteger(mantissa) || Math.abs(mantissa) > MAX_MANTISSA) {
    throw new MurmurArgumentError(field, 'a value that fits at the common exponent');
  }
  return { mantissa, exponent };
}

/** Exact text form of a decimal ("2501.37"). */
export function formatDecimal(d: Decimal): string {
  const neg = d.mantissa < 0;
  const digits = String(Math.abs(d.mantissa));
  if (d.exponent >= 0) return (neg ? '-' : '') + digits + '0'.repeat(d.exponent);
  const places = -d.exponent;
  const padded = digits.padStart(places + 1, '0');
  return (neg ? '-' : '') + padded.slice(0, -places) + '.' + padded.slice(-places);
}
