import { ByteWriter } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import { MAX_EXPONENT, MAX_MANTISSA, MIN_EXPONENT } from '../decimal.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, readSortedSet, writeIdent } from './fields.js';

export const KIND_ATTESTATION = 1;
export const MAX_SOURCES = 16;

/**
 * An oracle observation: value = mantissa x 10^exponent, and a confidence interval half-width
 * (same exponent, >= 0), both exact. `sources` is a set of identifiers, strictly ascending.
 */
export interface Attestation {
  readonly feed: string;
  readonly exponent: number;
  readonly mantissa: number;
  readonly confidence: number;
  readonly observedAtMs: number;
  readonly sources: readonly string[];
}

const textEncoder = new TextEncoder();

export const attestationKind: OpKind<Attestation> = {
  kind: KIND_ATTESTATION,
  name: 'attestation',
  decode(payload) {
    const r = payloadReader(payload);
    const feed = readIdent(r, 'feed');
    const exponent = r.i8();
    if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT) throw r.fail(`exponent ${exponent} outside ${MIN_EXPONENT}..${MAX_EXPONENT}`);
    const mantissa = r.zigzag();
    if (Math.abs(mantissa) > MAX_MANTISSA) throw r.fail('mantissa out of range');
    const confidence = r.varint();
    const observedAtMs = r.varint();
    const sources = readSortedSet(r, MAX_SOURCES, () => readIdent(r, 'source'), (s) => textEncoder.encode(s), 'sources');
    r.finish();
    return { feed, exponent, mantissa, confidence, observedAtMs, sources };
  },
  encode(a) {
    const w = new ByteWriter(64);
    writeIdent(w, a.feed, 'feed');
    if (!Number.isInteger(a.exponent) || a.exponent < MIN_EXPONENT || a.exponent > MAX_EXPONENT) {
      throw new MurmurArgumentError('exponent', `an integer in ${MIN_EXPONENT}..${MAX_EXPONENT}`);
    }
    w.i8(a.exponent).zigzag(a.mantissa, 'mantissa').varint(a.confidence, 'confidence').varint(a.observedAtMs, 'observedAtMs');
    const sources = [...a.sources].sort();
    if (sources.length > MAX_SOURCES || new Set(sources).size !== sources.length) {
      throw new MurmurArgumentError('sources', `at most ${MAX_SOURCES} distinct identifiers`);
    }
    w.varint(sources.length);
    for (const s of sources) writeIdent(w, s, 'source');
    return w.finish();
  },
};
