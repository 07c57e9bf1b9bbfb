import { parseArgs } from 'node:util';
import { Author, configProblem, decodeUpdate, fromHex, KIND_SECAGG, SecAggType, secaggKind, toHex, verifyStrict, type OpInput, type SecAggConfig, type SecAggView } from '../../crdt/index.js';
import { ConfigError } from '../errors.js';
import { ContributorAccountant } from '../contributor/private-delta.js';
import { loadKeyFile } from '../keys.js';
import { SecAggCoordinator } from '../secagg/coordinator.js';
import { SecAggParticipant } from '../secagg/participant.js';
import { roundState, type RoundState } from '../secagg/round.js';
import { ApiCallError, drainQueued, getJson, isTransient, type ApiTarget } from './api-client.js';

/** Pause between two looks at the round. */
export const SECAGG_POLL_MS = 200;
const MAX_DEPS = 8;

interface ViewBody {
  updates: string[];
  masked: { updateId: string; author: string; roster: string; included: number[]; offset: number; count: number }[];
}

/**
 * The round as the node holds it, checked here: every update but the masked slices is verified
 * (strict Ed25519, the same decoder as the node's), so a node cannot forge a roster or a close. The
 * masked slices come as summaries (their data only matters to the sum); trusting those only
 * decides which dropped neighbours' mask-key shares this member reveals, which never exposes a
 * survivor (docs/PRIVACY.md).
 */
export async function fetchRound(api: ApiTarget, stream: string, round: number): Promise<RoundState> {
  const body = (await getJson(api, `/v1/secagg?stream=${encodeURIComponent(stream)}&round=${round}`)) as ViewBody;
  const ops: SecAggView[] = [];
  for (const hex of body.updates) {
    const u = decodeUpdate(fromHex(hex));
    if (!verifyStrict(u.author, u.signed, u.signature)) throw new Error(`the node served update ${u.id} with a bad signature`);
    u.ops.forEach((op, index) => {
      if (op.kind !== KIND_SECAGG) return;
      const b = secaggKind.decode(op.payload);
      if (b.stream === stream && b.round === round && b.type !== SecAggType.Masked) ops.push({ ...b, updateId: u.id, index, author: toHex(u.author), seq: u.seq });
    });
  }
  for (const m of body.masked) ops.push({ type: SecAggType.Masked, stream, round, roster: m.roster, included: m.included, offset: m.offset, count: m.count, data: new Uint8Array(0), updateId: m.updateId, index: 0, author: m.author, seq: 0 });
  return roundState(stream, round, ops);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface JoinArgs {
  key: string;
  api: ApiTarget;
  stream: string;
  round: number;
  config: SecAggConfig;
  values: Float32Array;
  shareWaitMs: number;
  timeoutMs: number;
  /** The contributor's budget for the stream's rounds with distributed noise (zCDP, reported as epsilon at delta). */
  budget?: { epsilon: number; delta: number };
}

/** `murmur secagg-join`: takes part in one round, stage by stage, until it has answered the close (or times out). */
export async function joinRound(a: JoinArgs): Promise<{ stream: string; round: number; done: boolean; waiting: string | null; roster: string | null; close: string | null; signed: number }> {
  const { signer } = loadKeyFile(a.key);
  const author = new Author(signer);
  const accountant = a.config.noiseStd > 0 ? new ContributorAccountant(`${a.key}.privacy.json`, a.budget ?? { epsilon: 10, delta: 1e-6 }) : undefined;
  const p = new SecAggParticipant({ keyPath: a.key, author: author.key, stream: a.stream, round: a.round, config: a.config, values: a.values, shareWaitMs: a.shareWaitMs, ...(accountant !== undefined ? { accountant } : {}) });
  const deadline = Date.now() + a.timeoutMs;
  let waiting: string | null = null;
  let signed = 0;
  // The participant records each stage as done before returning its ops (it never makes a stage
  // twice), so ops not yet signed are kept here and retried while the node is unreachable.
  const unsent: OpInput[][] = [];
  while ((!p.done || unsent.length > 0) && Date.now() < deadline) {
    if (unsent.length === 0) {
      const view = await fetchRound(a.api, a.stream, a.round).catch((err: unknown) => (isTransient(err) ? null : Promise.reject(err)));
      const out = view === null ? null : p.step(view, Date.now());
      if (out !== null) {
        waiting = out.waiting;
        unsent.push(...out.updates);
      }
    }
    signed += await drainQueued(a.api, a.key, author, unsent, MAX_DEPS);
    if (unsent.length > 0 || !p.done) await sleep(SECAGG_POLL_MS);
  }
  const done = p.done && unsent.length === 0;
  return { stream: a.stream, round: a.round, done, waiting: done ? null : waiting, roster: p.state.roster, close: p.state.close, signed };
}

export interface CoordinateArgs extends Omit<JoinArgs, 'values' | 'shareWaitMs'> {
  expectedMembers: number;
  keysWaitMs: number;
  maskWaitMs: number;
}

/** `murmur secagg-coordinate`: publishes the roster and the close, then waits for the node's secure sum. */
export async function coordinateRound(a: CoordinateArgs): Promise<unknown> {
  const { signer } = loadKeyFile(a.key);
  const author = new Author(signer);
  if (author.key !== a.config.coordinator) throw new ConfigError('--key', `the coordinator's key ${a.config.coordinator}`, author.key);
  const c = new SecAggCoordinator({ stream: a.stream, round: a.round, config: a.config, expectedMembers: a.expectedMembers, keysWaitMs: a.keysWaitMs, maskWaitMs: a.maskWaitMs });
  const deadline = Date.now() + a.timeoutMs;
  const path = `/v1/aggregates/secagg?stream=${encodeURIComponent(a.stream)}&round=${a.round}&rule=mean`;
  let last: unknown = null;
  // As for members: the coordinator records a roster or close as made before it is signed, so those not yet sent wait here.
  const unsent: OpInput[][] = [];
  while (Date.now() < deadline) {
    const view = await fetchRound(a.api, a.stream, a.round).catch((err: unknown) => (isTransient(err) ? null : Promise.reject(err)));
    const out = view === null ? null : c.step(view, Date.now());
    unsent.push(...(out?.updates ?? []));
    await drainQueued(a.api, a.key, author, unsent, MAX_DEPS);
    if (out?.status === 'failed') return { status: 'failed', reason: c.failure };
    if (out?.status === 'closed' && unsent.length === 0) {
      try {
        const sum = (await getJson(a.api, path)) as Record<string, unknown>;
        return { status: 'complete', ...sum, valuesF32Base64: undefined };
      } catch (err) {
        if (!(err instanceof ApiCallError) || err.status !== 409) throw err;
        last = err.body;
      }
    }
    await sleep(SECAGG_POLL_MS);
  }
  return { status: 'timeout', last };
}

const CONFIG_FLAGS = ['dimension', 'neighbours', 'threshold', 'max-members', 'scale-bits', 'clip', 'noise-std', 'coordinator'] as const;

/** Parses the flags of secagg-join / secagg-coordinate. */
export function secaggArgs(argv: string[], coordinate: boolean): { v: Record<string, string | undefined>; config: SecAggConfig; number: (n: string, d?: number) => number } {
  const names = ['key', 'api', 'token-file', 'stream', 'round', 'values-json', 'values-f32', 'share-wait-ms', 'timeout-ms', 'expected-members', 'keys-wait-ms', 'mask-wait-ms', 'epsilon', 'delta', ...CONFIG_FLAGS];
  const { values } = parseArgs({ args: argv, strict: true, options: Object.fromEntries(names.map((o) => [o, { type: 'string' as const }])) });
  const v = values as Record<string, string | undefined>;
  const required = ['key', 'stream', 'round', 'dimension', 'clip', ...(coordinate ? ['expected-members'] : ['coordinator'])];
  for (const r of required) if (v[r] === undefined) throw new ConfigError(`--${r}`, 'required (murmur help secagg-join)');
  const number = (name: string, def?: number): number => {
    const s = v[name];
    const n = s === undefined ? def : Number(s);
    if (n === undefined || !Number.isFinite(n) || s?.trim() === '') throw new ConfigError(`--${name}`, 'a number', s);
    return n;
  };
  const int = (name: string, def?: number): number => {
    const n = number(name, def);
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`--${name}`, 'an integer >= 0', v[name]);
    return n;
  };
  const coordinator = coordinate ? toHex(loadKeyFile(v.key!).signer.publicKey) : v.coordinator!;
  if (!/^[0-9a-f]{64}$/.test(coordinator)) throw new ConfigError('--coordinator', "the coordinator's Ed25519 public key, 64 hex characters", coordinator);
  const config: SecAggConfig = {
    dimension: int('dimension'),
    neighbours: int('neighbours', 16),
    threshold: int('threshold', 9),
    maxMembers: int('max-members', 64),
    scaleBits: int('scale-bits', 16),
    clipNorm: number('clip'),
    noiseStd: number('noise-std', 0),
    coordinator,
  };
  const problem = configProblem(config);
  if (problem !== null) throw new ConfigError('--dimension/--neighbours/--threshold/--max-members/--scale-bits/--clip/--noise-std', problem);
  return { v, config, number: int };
}
