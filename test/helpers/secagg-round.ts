import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { secaggKind, toHex, type OpInput, type SecAggConfig, type SecAggOp, type SecAggView } from '../../crdt/index.js';
import { SecAggCoordinator } from '../../src/secagg/coordinator.js';
import { SecAggParticipant } from '../../src/secagg/participant.js';
import { roundState, type RoundState } from '../../src/secagg/round.js';
import { scratchDir } from './scratch.js';

/** A round's ops in memory, each through the real codec, with made-up update ids (no nodes, no signatures). */
export class MemoryRound {
  readonly ops: SecAggView[] = [];
  private seq = 0;
  constructor(
    readonly stream: string,
    readonly round: number,
  ) {}

  add(author: string, body: SecAggOp): SecAggView {
    const payload = secaggKind.encode(body);
    const updateId = createHash('sha256').update(author).update(String(++this.seq)).update(payload).digest('hex');
    const v = { ...secaggKind.decode(payload), updateId, index: 0, author, seq: this.seq };
    this.ops.push(v);
    return v;
  }

  addUpdates(author: string, updates: OpInput[][]): void {
    for (const u of updates) for (const o of u) this.add(author, o.body as SecAggOp);
  }

  state(visible: (o: SecAggView) => boolean = () => true): RoundState {
    return roundState(this.stream, this.round, this.ops.filter(visible));
  }
}

export const fakeKey = (): string => toHex(randomBytes(32));

export function testConfig(coordinator: string, over: Partial<SecAggConfig> = {}): SecAggConfig {
  return { dimension: 64, neighbours: 4, threshold: 3, maxMembers: 16, scaleBits: 16, clipNorm: 10, noiseStd: 0, coordinator, ...over };
}

export interface Cast {
  round: MemoryRound;
  config: SecAggConfig;
  coordinatorKey: string;
  coordinator: SecAggCoordinator;
  keys: string[];
  values: Float32Array[];
  participants: SecAggParticipant[];
}

/** n participants with random vectors (norm under the clip) and a coordinator expecting all of them. */
export function cast(n: number, over: Partial<SecAggConfig> = {}, shareWaitMs = 1_000): Cast {
  const coordinatorKey = fakeKey();
  const config = testConfig(coordinatorKey, over);
  const dir = scratchDir('secagg');
  const round = new MemoryRound('model', 7);
  const keys = Array.from({ length: n }, fakeKey);
  const values = keys.map(() => Float32Array.from({ length: config.dimension }, () => (Math.random() - 0.5) * (config.clipNorm / Math.sqrt(config.dimension))));
  const participants = keys.map((k, i) => new SecAggParticipant({ keyPath: join(dir, `k${i}`), author: k, stream: 'model', round: 7, config, values: values[i]!, shareWaitMs }));
  const coordinator = new SecAggCoordinator({ stream: 'model', round: 7, config, expectedMembers: n, keysWaitMs: 5_000, maskWaitMs: 5_000 });
  return { round, config, coordinatorKey, coordinator, keys, values, participants };
}

/**
 * Runs the round to quiescence on a virtual clock (100 ms a step): `active(i, phase)` says whether
 * participant i still acts in a phase (keys, shares, masked, reveal). Returns the final state.
 */
export function drive(
  c: Cast,
  active: (i: number, waiting: string | null) => boolean = () => true,
  maxSteps = 400,
  /** What participant i (or the coordinator, -1) sees at `now` (a partition); default everything. */
  sees: (i: number, now: number) => (o: SecAggView) => boolean = () => () => true,
): RoundState {
  let now = 0;
  for (let step = 0; step < maxSteps; step++, now += 100) {
    let moved = false;
    c.participants.forEach((p, i) => {
      const s = c.round.state(sees(i, now));
      const phase = !p.state.sent.keys ? 'keys' : !p.state.sent.shares ? 'shares' : !p.state.sent.masked ? 'masked' : 'reveal';
      if (!active(i, phase)) return;
      const out = p.step(s, now);
      if (out.updates.length > 0) moved = true;
      c.round.addUpdates(c.keys[i]!, out.updates);
    });
    const co = c.coordinator.step(c.round.state(sees(-1, now)), now);
    if (co.updates.length > 0) moved = true;
    c.round.addUpdates(c.coordinatorKey, co.updates);
    if (!moved && c.participants.every((p, i) => p.done || !active(i, 'reveal')) && co.status !== 'waiting-keys' && co.status !== 'waiting-masked') break;
  }
  return c.round.state();
}
