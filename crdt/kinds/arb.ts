import { ByteWriter } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, writeIdent } from './fields.js';

export const KIND_ARB = 7;
/** The ArbSphere data contracts' schema version this codec speaks; any other is `bad-payload`. */
export const ARB_SCHEMA_VERSION = 1;
export const MAX_ARB_ITERATIONS = 10_000;
/** Fixed point of sizes and prices: integers in units of 10^-9. */
export const ARB_SCALE = 1_000_000_000;

export enum ArbType {
  /** LocalArbProblem's public part: the venue joins (pair, session) under a contract (rho, cap, epsilon). */
  Problem = 0,
  /** PlanDelta: the venue's local solve at one iteration (its hedge leg). */
  Plan = 1,
  /** SharedSignals: noised public signals, with the local DP they carry. */
  Signals = 2,
}

interface Base {
  readonly pair: string;
  readonly session: number;
  /** Per author, never reused (a replay is ignored: `replayed-nonce`). */
  readonly nonce: number;
}

export interface ArbProblem extends Base {
  readonly type: ArbType.Problem;
  readonly venue: string;
  /** ADMM penalty rho, iteration cap and stop tolerance on |mean position| (fixed point). */
  readonly rho: number;
  readonly maxIterations: number;
  readonly epsilon: number;
  readonly liquidityBudget: number;
  readonly latencyBudgetMs: number;
}

export interface ArbPlan extends Base {
  readonly type: ArbType.Plan;
  readonly venue: string;
  readonly iteration: number;
  /** The venue's position x_i (fixed point, signed). */
  readonly size: number;
  readonly deltaId: string;
}

export interface ArbSignals extends Base {
  readonly type: ArbType.Signals;
  readonly venue: string;
  readonly iteration: number;
  /** Noised: price delta, cross-venue correlation, borrow/liquidity, latency proxy (fixed point). */
  readonly values: readonly number[];
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
}

export type ArbOp = ArbProblem | ArbPlan | ArbSignals;

function decode(payload: Uint8Array): ArbOp {
  const r = payloadReader(payload);
  const version = r.u8();
  if (version !== ARB_SCHEMA_VERSION) throw r.fail(`schema version ${version} is not ${ARB_SCHEMA_VERSION} (out of contract)`);
  const type = r.u8();
  const pair = readIdent(r, 'pair');
  const session = r.varint();
  const nonce = r.varint();
  const venue = readIdent(r, 'venue');
  let op: ArbOp;
  if (type === ArbType.Problem) {
    op = { type, pair, session, nonce, venue, rho: r.varint(), maxIterations: r.varint(MAX_ARB_ITERATIONS), epsilon: r.varint(), liquidityBudget: r.varint(), latencyBudgetMs: r.varint() };
    if (op.rho < 1 || op.maxIterations < 1) throw r.fail('rho and maxIterations must be >= 1');
  } else if (type === ArbType.Plan) {
    op = { type, pair, session, nonce, venue, iteration: r.varint(MAX_ARB_ITERATIONS), size: r.zigzag(), deltaId: readIdent(r, 'deltaId') };
    if (op.iteration < 1) throw r.fail('iteration must be >= 1');
  } else if (type === ArbType.Signals) {
    const iteration = r.varint(MAX_ARB_ITERATIONS);
    const n = r.varint(16);
    const values = Array.from({ length: n }, () => r.zigzag());
    op = { type, pair, session, nonce, venue, iteration, values, clipNorm: r.varint(), noiseMultiplier: r.varint() };
  } else {
    throw r.fail(`unknown arb op type ${type}`);
  }
  r.finish();
  return op;
}

function encode(op: ArbOp): Uint8Array {
  const w = new ByteWriter(128);
  w.u8(ARB_SCHEMA_VERSION).u8(op.type);
  writeIdent(w, op.pair, 'pair');
  w.varint(op.session, 'session').varint(op.nonce, 'nonce');
  writeIdent(w, op.venue, 'venue');
  if (op.type === ArbType.Problem) w.varint(op.rho, 'rho').varint(op.maxIterations, 'maxIterations').varint(op.epsilon, 'epsilon').varint(op.liquidityBudget, 'liquidityBudget').varint(op.latencyBudgetMs, 'latencyBudgetMs');
  else if (op.type === ArbType.Plan) {
    w.varint(op.iteration, 'iteration').zigzag(op.size, 'size');
    writeIdent(w, op.deltaId, 'deltaId');
  } else if (op.type === ArbType.Signals) {
    if (op.values.length > 16) throw new MurmurArgumentError('values', 'at most 16');
    w.varint(op.iteration, 'iteration').varint(op.values.length);
    for (const v of op.values) w.zigzag(v, 'value');
    w.varint(op.clipNorm, 'clipNorm').varint(op.noiseMultiplier, 'noiseMultiplier');
  } else throw new MurmurArgumentError('type', 'an ArbType');
  const bytes = w.finish();
  decode(bytes);
  return bytes;
}

export const arbKind: OpKind<ArbOp> = { kind: KIND_ARB, name: 'arb', decode, encode };
