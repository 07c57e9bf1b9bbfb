/**
 * Scenario files: what a simulation runs. A scenario is JSON (or a built-in object of the same
 * shape); `parseScenario` checks every field and throws ScenarioError naming the first bad one.
 * Format and meaning: simulations/README.md.
 */

export const MAX_SIM_NODES = 200;
export const MAX_SIM_DURATION_MS = 3_600_000;

export class ScenarioError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got?: unknown,
  ) {
    super(`scenario field ${field}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)?.slice(0, 80)}`}`);
    this.name = 'ScenarioError';
  }
}

export type Topology = { kind: 'full' } | { kind: 'ring' } | { kind: 'random'; degree: number };

/** Groups split at `atMs`, healed at `healMs`; repeated `repeat` times every `everyMs`. */
export interface PartitionSpec {
  atMs: number;
  healMs: number;
  /** Node indices per group, or "halves": the first half against the rest. Unlisted nodes join group 0. */
  groups: number[][] | 'halves';
  everyMs?: number;
  repeat?: number;
}

/** A node goes offline at `offAtMs` and restarts from its store at `onAtMs`, or once `onAfterUpdates` new updates exist. */
export interface ChurnSpec {
  node: number;
  offAtMs: number;
  onAtMs?: number;
  onAfterUpdates?: number;
}

export interface MarketSpec {
  feeds: string[];
  intervalMs: number;
  /** Relative std of an honest observation around the true price. */
  noise: number;
  /** Relative std of one step of the true price's random walk. */
  volatility: number;
  startPrice: number;
  /** Aggregation window over observation time. */
  windowMs: number;
}

export interface LearningSpec {
  stream: string;
  dimension: number;
  roundMs: number;
  /** Samples of local data per producer; their features differ per producer (non-IID). */
  samples: number;
  learningRate: number;
}

/** Secure-aggregation rounds (roles secagg and secagg-byzantine): docs/PRIVACY.md. */
export interface SecAggSpec {
  stream: string;
  dimension: number;
  /** A round starts every roundMs, up to `rounds` of them. */
  roundMs: number;
  rounds: number;
  neighbours: number;
  threshold: number;
  scaleBits: number;
  clipNorm: number;
  noiseStd: number;
  /** Honest members that drop out of each round, at a random phase after their keys. */
  dropoutsPerRound: number;
  /** The coordinator closes the roster when every member joined, or this long after the round began. */
  keysWaitMs: number;
  shareWaitMs: number;
  maskWaitMs: number;
}

/** ArbSphere (roles venue and arb-byzantine): docs/ARBSPHERE.md. */
export interface ArbSphereSpec {
  rhoMilli: number;
  maxIterations: number;
  epsilon: number;
}

/** Key rotation and a stolen key (roles rotator and thief). */
export interface RotationSpec {
  feed: string;
  intervalMs: number;
  rotateEveryMs: number;
  stealAtMs: number;
  revokeAtMs: number;
}

export type RoleSpec =
  | { role: 'oracle'; nodes: number[] }
  | { role: 'liar'; nodes: number[]; bias: number }
  | { role: 'sybil'; nodes: number[]; keys: number; bias: number }
  | { role: 'delta'; nodes: number[] }
  | { role: 'poisoner'; nodes: number[]; mode: 'scale' | 'flip' | 'alie'; factor: number }
  | { role: 'publisher'; nodes: number[]; ratePerS: number; opsPerUpdate: number; updates?: number }
  | { role: 'equivocator'; nodes: number[]; intervalMs: number }
  | { role: 'forger'; nodes: number[]; intervalMs: number }
  | { role: 'replayer'; nodes: number[]; intervalMs: number; batch: number }
  | { role: 'flooder'; nodes: number[]; ratePerS: number; orphansPerS: number }
  | { role: 'withholder'; nodes: number[] }
  | { role: 'secagg'; nodes: number[] }
  | { role: 'rotator'; nodes: number[] }
  | { role: 'venue'; nodes: number[] }
  | { role: 'arb-byzantine'; nodes: number[] }
  | { role: 'thief'; nodes: number[] }
  | { role: 'secagg-byzantine'; nodes: number[]; mode: 'bad-share' | 'bad-mask' };

export const BYZANTINE_ROLES = ['liar', 'sybil', 'poisoner', 'equivocator', 'forger', 'replayer', 'flooder', 'withholder', 'secagg-byzantine', 'thief', 'arb-byzantine'] as const;
export const HONEST_ROLES = ['oracle', 'delta', 'publisher', 'secagg', 'rotator', 'venue'] as const;

/** A pass criterion on one metric of the result summary (booleans count as 0/1). */
export interface Criterion {
  metric: string;
  min?: number;
  max?: number;
}

export interface Scenario {
  name: string;
  description: string;
  nodes: number;
  /** How long roles act; then traffic stops and the run waits up to `settleMs` for convergence. */
  durationMs: number;
  settleMs: number;
  transport: 'memory' | 'tcp';
  topology: Topology;
  link: { latencyMs: number; jitterMs: number; loss: number };
  syncIntervalMs: number;
  reconnectMaxBackoffMs: number;
  sampleMs: number;
  /** Aggregate errors are computed on at most this many honest nodes (the lowest indices). */
  errorNodes: number;
  partitions: PartitionSpec[];
  churn: ChurnSpec[];
  market?: MarketSpec;
  learning?: LearningSpec;
  secagg?: SecAggSpec;
  rotation?: RotationSpec;
  arbsphere?: ArbSphereSpec;
  /** Registry weights of oracle keys (Sybil keys get weight 1 each); needs a Sybil role to matter. */
  honestWeight: number;
  roles: RoleSpec[];
  criteria: Criterion[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(o: Obj, k: string, path: string, min: number, max: number, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(`${path}.${k}`, `a number in [${min}, ${max}]`, v);
  return v;
}

const int = (o: Obj, k: string, path: string, min: number, max: number, dflt?: number): number => {
  const v = num(o, k, path, min, max, dflt);
  if (!Number.isInteger(v)) throw new ScenarioError(`${path}.${k}`, 'an integer', v);
  return v;
};

function text(o: Obj, k: string, path: string, dflt?: string): string {
  const v = o[k] ?? dflt;
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw new ScenarioError(`${path}.${k}`, 'a non-empty string (at most 200 characters)', v);
  return v;
}

function nodeList(v: unknown, path: string, n: number): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new ScenarioError(path, 'a non-empty list of node indices', v);
  return v.map((x, i) => {
    if (!Number.isInteger(x) || (x as number) < 0 || (x as number) >= n) throw new ScenarioError(`${path}[${i}]`, `a node index in 0..${n - 1}`, x);
    return x as number;
  });
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ScenarioError(path, 'an object', v);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ScenarioError(path, 'a list', v);
  return v;
}

function topology(v: unknown, n: number): Topology {
  const t = obj(v ?? { kind: 'full' }, 'topology');
  if (t.kind === 'full' || t.kind === 'ring') return { kind: t.kind };
  if (t.kind === 'random') return { kind: 'random', degree: int(t, 'degree', 'topology', 1, Math.max(1, n - 1)) };
  throw new ScenarioError('topology.kind', 'full | ring | random', t.kind);
}

function partition(v: unknown, path: string, n: number, duration: number): PartitionSpec {
  const p = obj(v, path);
  const atMs = int(p, 'atMs', path, 0, duration);
  const healMs = int(p, 'healMs', path, atMs + 1, duration);
  let groups: PartitionSpec['groups'];
  if (p.groups === 'halves') groups = 'halves';
  else {
    const gs = list(p.groups, `${path}.groups`);
    if (gs.length < 2) throw new ScenarioError(`${path}.groups`, '"halves" or at least two lists of node indices', p.groups);
    groups = gs.map((g, i) => nodeList(g, `${path}.groups[${i}]`, n));
  }
  const out: PartitionSpec = { atMs, healMs, groups };
  if (p.repeat !== undefined) {
    out.repeat = int(p, 'repeat', path, 1, 1000);
    out.everyMs = int(p, 'everyMs', path, healMs - atMs + 1, MAX_SIM_DURATION_MS);
  }
  return out;
}

function churn(v: unknown, path: string, n: number, duration: number): ChurnSpec {
  const c = obj(v, path);
  const out: ChurnSpec = { node: int(c, 'node', path, 0, n - 1), offAtMs: int(c, 'offAtMs', path, 0, duration) };
  if (c.onAtMs !== undefined) out.onAtMs = int(c, 'onAtMs', path, out.offAtMs + 1, duration);
  else if (c.onAfterUpdates !== undefined) out.onAfterUpdates = int(c, 'onAfterUpdates', path, 1, 10_000_000);
  else throw new ScenarioError(path, 'onAtMs or onAfterUpdates');
  return out;
}

function role(v: unknown, path: string, n: number): RoleSpec {
  const r = obj(v, path);
  const nodes = nodeList(r.nodes, `${path}.nodes`, n);
  switch (r.role) {
    case 'oracle':
    case 'delta':
    case 'withholder':
    case 'secagg':
    case 'rotator':
    case 'thief':
    case 'venue':
    case 'arb-byzantine':
      return { role: r.role, nodes };
    case 'liar':
      return { role: 'liar', nodes, bias: num(r, 'bias', path, -0.99, 100, 0.2) };
    case 'sybil':
      return { role: 'sybil', nodes, keys: int(r, 'keys', path, 1, 200, 20), bias: num(r, 'bias', path, -0.99, 100, 0.2) };
    case 'poisoner': {
      if (r.mode !== 'scale' && r.mode !== 'flip' && r.mode !== 'alie') throw new ScenarioError(`${path}.mode`, 'scale | flip | alie', r.mode);
      return { role: 'poisoner', nodes, mode: r.mode, factor: num(r, 'factor', path, -1000, 1000, r.mode === 'alie' ? 1 : 10) };
    }
    case 'publisher': {
      const out: RoleSpec = { role: 'publisher', nodes, ratePerS: num(r, 'ratePerS', path, 0.1, 100_000), opsPerUpdate: int(r, 'opsPerUpdate', path, 1, 64, 1) };
      if (r.updates !== undefined) out.updates = int(r, 'updates', path, 1, 10_000_000);
      return out;
    }
    case 'equivocator':
    case 'forger':
      return { role: r.role, nodes, intervalMs: int(r, 'intervalMs', path, 10, 600_000) };
    case 'replayer':
      return { role: 'replayer', nodes, intervalMs: int(r, 'intervalMs', path, 10, 600_000), batch: int(r, 'batch', path, 1, 1000, 20) };
    case 'secagg-byzantine':
      if (r.mode !== 'bad-share' && r.mode !== 'bad-mask') throw new ScenarioError(`${path}.mode`, 'bad-share | bad-mask', r.mode);
      return { role: 'secagg-byzantine', nodes, mode: r.mode };
    case 'flooder':
      return { role: 'flooder', nodes, ratePerS: num(r, 'ratePerS', path, 0, 100_000), orphansPerS: num(r, 'orphansPerS', path, 0, 100_000) };
    default:
      throw new ScenarioError(`${path}.role`, [...HONEST_ROLES, ...BYZANTINE_ROLES].join(' | '), r.role);
  }
}

function market(v: unknown): MarketSpec {
  const m = obj(v, 'market');
  const feeds = list(m.feeds, 'market.feeds').map((f, i) => text({ f }, 'f', `market.feeds[${i}]`));
  if (feeds.length === 0 || feeds.length > 32) throw new ScenarioError('market.feeds', '1..32 feed names', m.feeds);
  return {
    feeds,
    intervalMs: int(m, 'intervalMs', 'market', 50, 600_000, 1000),
    noise: num(m, 'noise', 'market', 0, 0.5, 0.002),
    volatility: num(m, 'volatility', 'market', 0, 0.5, 0.001),
    startPrice: num(m, 'startPrice', 'market', 0.01, 1e9, 2500),
    windowMs: int(m, 'windowMs', 'market', 100, 3_600_000, 3000),
  };
}

function learning(v: unknown): LearningSpec {
  const l = obj(v, 'learning');
  return {
    stream: text(l, 'stream', 'learning', 'model'),
    dimension: int(l, 'dimension', 'learning', 1, 4096, 32),
    roundMs: int(l, 'roundMs', 'learning', 100, 600_000, 1000),
    samples: int(l, 'samples', 'learning', 1, 10_000, 64),
    learningRate: num(l, 'learningRate', 'learning', 0, 10, 0.1),
  };
}

function secagg(v: unknown): SecAggSpec {
  const g = obj(v, 'secagg');
  return {
    stream: text(g, 'stream', 'secagg', 'secure'),
    dimension: int(g, 'dimension', 'secagg', 1, 2 ** 20, 1024),
    roundMs: int(g, 'roundMs', 'secagg', 500, 600_000, 4_000),
    rounds: int(g, 'rounds', 'secagg', 1, 1000, 3),
    neighbours: int(g, 'neighbours', 'secagg', 2, 254, 4),
    threshold: int(g, 'threshold', 'secagg', 2, 254, 3),
    scaleBits: int(g, 'scaleBits', 'secagg', 0, 30, 16),
    clipNorm: num(g, 'clipNorm', 'secagg', 1e-6, 1e6, 1),
    noiseStd: num(g, 'noiseStd', 'secagg', 0, 1e6, 0),
    dropoutsPerRound: int(g, 'dropoutsPerRound', 'secagg', 0, 254, 1),
    keysWaitMs: int(g, 'keysWaitMs', 'secagg', 50, 600_000, 3_000),
    shareWaitMs: int(g, 'shareWaitMs', 'secagg', 50, 600_000, 1_500),
    maskWaitMs: int(g, 'maskWaitMs', 'secagg', 50, 600_000, 2_000),
  };
}

function rotation(v: unknown, duration: number): RotationSpec {
  const g = obj(v, 'rotation');
  return {
    feed: text(g, 'feed', 'rotation', 'ROT/USD'),
    intervalMs: int(g, 'intervalMs', 'rotation', 50, 600_000, 500),
    rotateEveryMs: int(g, 'rotateEveryMs', 'rotation', 100, 3_600_000, 2_000),
    stealAtMs: int(g, 'stealAtMs', 'rotation', 0, duration, Math.floor(duration / 3)),
    revokeAtMs: int(g, 'revokeAtMs', 'rotation', 0, duration, Math.floor((2 * duration) / 3)),
  };
}

/** Validates a scenario object (from a JSON file or a built-in) and fills in defaults. */
export function parseScenario(v: unknown): Scenario {
  const s = obj(v, 'scenario');
  const nodes = int(s, 'nodes', 'scenario', 2, MAX_SIM_NODES);
  const durationMs = int(s, 'durationMs', 'scenario', 100, MAX_SIM_DURATION_MS);
  const link = obj(s.link ?? {}, 'link');
  if (s.transport !== undefined && s.transport !== 'memory' && s.transport !== 'tcp') throw new ScenarioError('transport', 'memory | tcp', s.transport);
  const roles = list(s.roles, 'roles').map((r, i) => role(r, `roles[${i}]`, nodes));
  const out: Scenario = {
    name: text(s, 'name', 'scenario'),
    description: text(s, 'description', 'scenario', 'no description'),
    nodes,
    durationMs,
    settleMs: int(s, 'settleMs', 'scenario', 0, MAX_SIM_DURATION_MS, 30_000),
    transport: (s.transport as Scenario['transport'] | undefined) ?? 'memory',
    topology: topology(s.topology, nodes),
    link: { latencyMs: num(link, 'latencyMs', 'link', 0, 10_000, 0), jitterMs: num(link, 'jitterMs', 'link', 0, 10_000, 0), loss: num(link, 'loss', 'link', 0, 0.9, 0) },
    syncIntervalMs: int(s, 'syncIntervalMs', 'scenario', 100, 600_000, 1000),
    reconnectMaxBackoffMs: int(s, 'reconnectMaxBackoffMs', 'scenario', 500, 3_600_000, 500),
    sampleMs: int(s, 'sampleMs', 'scenario', 20, 60_000, 250),
    errorNodes: int(s, 'errorNodes', 'scenario', 1, MAX_SIM_NODES, 8),
    partitions: list(s.partitions, 'partitions').map((p, i) => partition(p, `partitions[${i}]`, nodes, durationMs)),
    churn: list(s.churn, 'churn').map((c, i) => churn(c, `churn[${i}]`, nodes, durationMs)),
    honestWeight: int(s, 'honestWeight', 'scenario', 1, 2 ** 24, 20),
    roles,
    criteria: list(s.criteria, 'criteria').map((c, i) => {
      const o = obj(c, `criteria[${i}]`);
      const crit: Criterion = { metric: text(o, 'metric', `criteria[${i}]`) };
      if (o.min !== undefined) crit.min = num(o, 'min', `criteria[${i}]`, -Infinity, Infinity);
      if (o.max !== undefined) crit.max = num(o, 'max', `criteria[${i}]`, -Infinity, Infinity);
      if (crit.min === undefined && crit.max === undefined) throw new ScenarioError(`criteria[${i}]`, 'min or max');
      return crit;
    }),
  };
  const needs = (kinds: string[], what: 'market' | 'learning'): void => {
    if (roles.some((r) => kinds.includes(r.role)) && s[what] === undefined) throw new ScenarioError(what, `an object (roles ${kinds.join(', ')} need it)`);
  };
  needs(['oracle', 'liar', 'sybil'], 'market');
  needs(['delta', 'poisoner'], 'learning');
  if (roles.some((r) => r.role === 'secagg' || r.role === 'secagg-byzantine') && s.secagg === undefined) throw new ScenarioError('secagg', 'an object (roles secagg, secagg-byzantine need it)');
  if (s.secagg !== undefined) out.secagg = secagg(s.secagg);
  if (roles.some((r) => r.role === 'rotator' || r.role === 'thief') && s.rotation === undefined) throw new ScenarioError('rotation', 'an object (roles rotator, thief need it)');
  if (s.rotation !== undefined) out.rotation = rotation(s.rotation, durationMs);
  const venues = roles.filter((r) => r.role === 'venue').flatMap((r) => r.nodes);
  if (venues.length > 0 && venues.length !== 2) throw new ScenarioError('roles', 'exactly two venue nodes (venue A, venue B)', venues);
  if (venues.length > 0) {
    const g = obj(s.arbsphere ?? {}, 'arbsphere');
    out.arbsphere = { rhoMilli: int(g, 'rhoMilli', 'arbsphere', 1, 1_000_000, 2_500), maxIterations: int(g, 'maxIterations', 'arbsphere', 1, 10_000, 200), epsilon: int(g, 'epsilon', 'arbsphere', 0, 1e15, 1) };
  }
  if (s.market !== undefined) out.market = market(s.market);
  if (s.learning !== undefined) out.learning = learning(s.learning);
  return out;
}

/** The concrete partition windows, expanded from repeats, sorted by start. */
export function partitionWindows(s: Scenario): { atMs: number; healMs: number; groups: number[][] }[] {
  const out: { atMs: number; healMs: number; groups: number[][] }[] = [];
  for (const p of s.partitions) {
    const groups = p.groups === 'halves' ? [range(0, Math.floor(s.nodes / 2)), range(Math.floor(s.nodes / 2), s.nodes)] : p.groups;
    for (let k = 0; k < (p.repeat ?? 1); k++) {
      const shift = k * (p.everyMs ?? 0);
      if (p.healMs + shift > s.durationMs) break;
      out.push({ atMs: p.atMs + shift, healMs: p.healMs + shift, groups });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
