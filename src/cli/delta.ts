import { readFileSync } from 'node:fs';
import { Author, KIND_DELTA, f32Delta, type DeltaPrivacy, type OpInput } from '../../crdt/index.js';
import { KernelError } from '../../kernels/index.js';
import { ContributorAccountant, privatize } from '../contributor/private-delta.js';
import { ConfigError } from '../errors.js';
import { loadKeyFile } from '../keys.js';
import { signAndSubmit, type ApiTarget } from './api-client.js';

/** Coordinates per delta slice (one update each): 512 KiB of f32, well inside MAX_UPDATE_BYTES (1 MiB). */
export const DELTA_SLICE_COORDS = 128 * 1024;

export interface DeltaArgs {
  key: string;
  api: ApiTarget;
  stream: string;
  round: number;
  values: Float32Array;
  privacy: DeltaPrivacy;
  sampleWeight: number;
  /** The contributor's budget for the stream (zCDP, reported as epsilon at delta). */
  epsilon: number;
  delta: number;
}

/** Reads --values-json '[...]' or --values-f32 FILE (little-endian binary32). */
export function readValues(json: string | undefined, f32File: string | undefined): Float32Array {
  if ((json === undefined) === (f32File === undefined)) throw new ConfigError('--values-json/--values-f32', 'exactly one of a JSON array of numbers or a file of little-endian f32');
  if (json !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (err) {
      throw new ConfigError('--values-json', `a JSON array of numbers (${(err as Error).message})`);
    }
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new ConfigError('--values-json', 'a non-empty JSON array of finite numbers');
    return Float32Array.from(v as number[]);
  }
  const b = readFileSync(f32File!);
  if (b.length === 0 || b.length % 4 !== 0) throw new ConfigError('--values-f32', 'a non-empty file of little-endian binary32 values', `${b.length} bytes`);
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/**
 * `murmur delta`: local differential privacy at the contributor (docs/PRIVACY.md). Charges the
 * stream's budget in the contributor's own accountant (`<key>.privacy.json`, 0600; written before
 * anything is signed, and refused past the budget), clips the vector to the declared L2 norm, adds
 * Gaussian noise from the CSPRNG, and signs and submits it as slices that declare clip and noise.
 */
export async function submitDelta(a: DeltaArgs): Promise<{ stream: string; round: number; slices: number; clipFactor: number; epsilonSpent: number; submitted: unknown[] }> {
  const { signer } = loadKeyFile(a.key);
  const accountant = new ContributorAccountant(`${a.key}.privacy.json`, { epsilon: a.epsilon, delta: a.delta });
  let charged: { epsilon: number };
  let noised: ReturnType<typeof privatize>;
  try {
    noised = privatize(a.values, a.privacy);
    charged = accountant.charge(a.stream, a.privacy);
  } catch (err) {
    if (err instanceof KernelError) throw new ConfigError(err.field, err.message);
    throw err;
  }
  const author = new Author(signer);
  const submitted: unknown[] = [];
  const dimension = noised.values.length;
  for (let offset = 0; offset < dimension; offset += DELTA_SLICE_COORDS) {
    const slice = noised.values.subarray(offset, Math.min(dimension, offset + DELTA_SLICE_COORDS));
    const op: OpInput = { kind: KIND_DELTA, body: { ...f32Delta({ stream: a.stream, round: a.round, dimension, offset, sampleWeight: a.sampleWeight }, slice), privacy: a.privacy } };
    submitted.push(await signAndSubmit(a.api, a.key, author, [op], Date.now(), 8));
  }
  return { stream: a.stream, round: a.round, slices: submitted.length, clipFactor: noised.clipFactor, epsilonSpent: charged.epsilon, submitted };
}
