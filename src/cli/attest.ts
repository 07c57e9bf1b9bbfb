import { Author, KIND_ATTESTATION, parseDecimal, rescale, MurmurArgumentError, type OpInput } from '../../crdt/index.js';
import { loadKeyFile } from '../keys.js';
import { ConfigError } from '../errors.js';
import { signAndSubmit, type ApiTarget } from './api-client.js';

export interface AttestArgs {
  key: string;
  api: ApiTarget;
  feeds: string[];
  values: string[];
  confidences: string[];
  sources: string[];
}

/** Builds one attestation op per (feed, value, confidence) triple, value and confidence at one exponent. */
export function attestationOps(a: AttestArgs, observedAtMs: number): OpInput[] {
  if (a.feeds.length === 0) throw new ConfigError('--feed', 'at least one feed');
  if (a.values.length !== a.feeds.length) throw new ConfigError('--value', `one value per --feed (${a.feeds.length})`, a.values);
  if (a.confidences.length !== a.feeds.length) throw new ConfigError('--confidence', `one confidence per --feed (${a.feeds.length})`, a.confidences);
  return a.feeds.map((feed, i) => {
    try {
      const value = parseDecimal(a.values[i]!, '--value');
      const conf = parseDecimal(a.confidences[i]!, '--confidence');
      if (conf.mantissa < 0) throw new MurmurArgumentError('--confidence', 'a value >= 0');
      const exponent = Math.min(value.exponent, conf.exponent);
      const v = rescale(value, exponent, '--value');
      const c = rescale(conf, exponent, '--confidence');
      return {
        kind: KIND_ATTESTATION,
        body: { feed, exponent, mantissa: v.mantissa, confidence: c.mantissa, observedAtMs, sources: [...new Set(a.sources)].sort() },
      };
    } catch (err) {
      if (err instanceof MurmurArgumentError) throw new ConfigError(err.field, err.expected);
      throw err;
    }
  });
}

/**
 * `murmur attest`: signs the attestations locally with the contributor's key and submits the one
 * update (signAndSubmit).
 */
export async function attest(a: AttestArgs): Promise<unknown> {
  const { signer } = loadKeyFile(a.key);
  const now = Date.now();
  return signAndSubmit(a.api, a.key, new Author(signer), attestationOps(a, now), now, 8);
}
