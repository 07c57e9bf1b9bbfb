import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ARB_SCALE, Author, MAX_ARB_ITERATIONS, KIND_ARB, type DeltaPrivacy, type OpInput } from '../../crdt/index.js';
import { readStateFile, writeFileAtomic } from '../contributor/atomic-file.js';
import { ContributorAccountant } from '../contributor/private-delta.js';
import { ConfigError } from '../errors.js';
import { KernelError, KernelErrorCode } from '../../kernels/index.js';
import { loadKeyFile } from '../keys.js';
import type { SessionState } from '../arbsphere/session.js';
import { Venue, type ArbContract, type VenueBook, type VenueCursor } from '../arbsphere/venue.js';
import { drainQueued, getJson, isTransient, type ApiTarget } from './api-client.js';

/** Pause between two looks at the session. */
export const VENUE_POLL_MS = 200;
/** SharedSignals are sent with the plan of every iteration k with k mod this = 1. */
export const VENUE_SIGNAL_EVERY_ITERATIONS = 10;
/** Largest cursor file read back (it holds two integers). */
const VENUE_CURSOR_MAX_BYTES = 4_096;
const MAX_DEPS = 8;

export interface VenueArgs {
  key: string;
  api: ApiTarget;
  pair: string;
  session: number;
  /** The venue's name in the session (with a Graph of Contracts, its adapter entry is `<pair>/<name>`). */
  name: string;
  /** The venue's private book: never sent, only its solves are. */
  book: VenueBook;
  contract: ArbContract;
  /** Raw SharedSignals values (noised here, charged to the key's own budget); none sent when absent. */
  signal?: { values: readonly number[]; privacy: DeltaPrivacy; budget: { epsilon: number; delta: number } };
  timeoutMs: number;
  /** Pause between two looks at the session (default VENUE_POLL_MS). */
  pollMs?: number;
}

export interface VenueResult {
  pair: string;
  session: number;
  venue: string;
  status: SessionState['status'] | 'timed-out';
  iterations: number;
  /** This venue's last position in the derived trajectory (units, not fixed point). */
  position: number | null;
  signed: number;
  /** Why SharedSignals stopped before the end (the key's budget spent), else null. */
  signalsStopped: string | null;
}

/**
 * Where the venue process is, beside its key (mode 0600): the last nonce it used and the last
 * iteration it planned, per session. Written before the ops that use them are signed, so a
 * restarted venue neither reuses a nonce (`replayed-nonce`) nor plans an iteration twice.
 */
export class VenueCursorFile {
  readonly path: string;

  constructor(keyPath: string, pair: string, session: number) {
    const tag = createHash('sha256').update(`${pair}\u0000${session}`).digest('hex').slice(0, 16);
    this.path = `${keyPath}.arb-${tag}.json`;
  }

  load(): VenueCursor {
    const read = readStateFile<VenueCursor>(this.path, VENUE_CURSOR_MAX_BYTES, (why) => `a venue cursor written by murmur venue (${why})`);
    if (read === null) return { nonce: 0, lastIteration: 0 };
    const { value: c, bad } = read;
    if (!Number.isSafeInteger(c?.nonce) || c.nonce < 0 || !Number.isSafeInteger(c.lastIteration) || c.lastIteration < 0) throw bad('wrong shape');
    return { nonce: c.nonce, lastIteration: c.lastIteration };
  }

  save(c: VenueCursor): void {
    writeFileAtomic(this.path, JSON.stringify(c) + '\n');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINISHED: readonly SessionState['status'][] = ['converged', 'cap-reached', 'contract-mismatch'];

/**
 * `murmur venue`: one ArbSphere venue as its own process, posting to a node's API. It signs its
 * LocalArbProblem once (unless the node already counts one of this key for the venue), then on
 * each look at the session (GET /v1/arbsphere, the node's derivation from signed ops) its next
 * PlanDelta, with noised SharedSignals every VENUE_SIGNAL_EVERY_ITERATIONS iterations; it stops
 * when the session has converged, reached its cap or failed its contract, or at the timeout.
 * Ops not yet acknowledged are kept and retried while the node is unreachable or busy.
 */
export async function runVenue(a: VenueArgs): Promise<VenueResult> {
  const { signer } = loadKeyFile(a.key);
  const author = new Author(signer);
  const cursorFile = new VenueCursorFile(a.key, a.pair, a.session);
  const venue = new Venue(a.name, a.book, a.pair, a.session, a.contract, cursorFile.load());
  const accountant = a.signal === undefined ? null : new ContributorAccountant(`${a.key}.privacy.json`, a.signal.budget);
  const deadline = Date.now() + a.timeoutMs;
  const unsent: OpInput[][] = [];
  let problemQueued = false;
  let signalsStopped: string | null = null;
  let signed = 0;
  let state: SessionState | null = null;
  const path = `/v1/arbsphere?pair=${encodeURIComponent(a.pair)}&session=${a.session}`;
  while (Date.now() < deadline) {
    if (unsent.length === 0) {
      const body = (await getJson(a.api, path).catch((err: unknown) => (isTransient(err) ? null : Promise.reject(err)))) as { state: SessionState } | null;
      state = body?.state ?? state;
      if (body !== null) {
        const s = body.state;
        if (FINISHED.includes(s.status)) break;
        const ops: OpInput[] = [];
        if (!problemQueued && !s.venues.some((v) => v.venue === a.name && v.key === author.key)) ops.push({ kind: KIND_ARB, body: venue.problem() });
        problemQueued = true;
        const plan = venue.next(s);
        if (plan !== null) {
          ops.push({ kind: KIND_ARB, body: plan });
          if (a.signal !== undefined && signalsStopped === null && plan.iteration % VENUE_SIGNAL_EVERY_ITERATIONS === 1) {
            try {
              ops.push({ kind: KIND_ARB, body: venue.signals(plan.iteration, a.signal.values, a.signal.privacy, accountant!) });
            } catch (err) {
              // The budget is spent: the plans go on (they spend none), the signals stop.
              if (!(err instanceof KernelError) || err.code !== KernelErrorCode.BudgetExceeded) throw err;
              signalsStopped = err.message;
            }
          }
        }
        if (ops.length > 0) {
          cursorFile.save(venue.cursor); // before signing: a restart continues after these
          unsent.push(ops);
        }
      }
    }
    signed += await drainQueued(a.api, a.key, author, unsent, MAX_DEPS);
    await sleep(a.pollMs ?? VENUE_POLL_MS);
  }
  const me = state?.venues.findIndex((v) => v.venue === a.name) ?? -1;
  const last = state?.trajectory.at(-1);
  const status = state !== null && FINISHED.includes(state.status) ? state.status : 'timed-out';
  return { pair: a.pair, session: a.session, venue: a.name, status, iterations: state?.trajectory.length ?? 0, position: me < 0 || last === undefined ? null : Number(last.sizes[me]) / ARB_SCALE, signed, signalsStopped };
}

/** The flags of `murmur venue` (usage.ts), checked: a bad value is a ConfigError naming its flag. */
export function venueArgs(argv: string[], api: (v: { api?: string | undefined; 'token-file'?: string | undefined }) => ApiTarget): VenueArgs {
  const names = ['key', 'api', 'token-file', 'pair', 'session', 'name', 'curvature', 'price', 'rho', 'max-iterations', 'epsilon', 'signal-clip', 'signal-noise', 'signal-epsilon', 'signal-delta', 'timeout-ms', 'poll-ms'];
  const { values } = parseArgs({ args: argv, strict: true, options: { ...Object.fromEntries(names.map((o) => [o, { type: 'string' as const }])), signal: { type: 'string', multiple: true } } });
  const v = values as { [flag: string]: string | undefined; api?: string; 'token-file'?: string } & { signal?: string[] };
  for (const r of ['key', 'pair', 'name', 'curvature', 'price']) if (v[r] === undefined) throw new ConfigError(`--${r}`, 'required (murmur help venue)');
  const number = (name: string, def: number | undefined, ok: (n: number) => boolean, want: string): number => {
    const s = v[name];
    const n = s === undefined ? def : s.trim() === '' ? NaN : Number(s);
    if (n === undefined || !Number.isFinite(n) || !ok(n)) throw new ConfigError(`--${name}`, want, s);
    return n;
  };
  const positive = (n: number): boolean => n > 0;
  const int = (lo: number, hi: number) => (n: number) => Number.isSafeInteger(n) && n >= lo && n <= hi;
  const signals = (v.signal ?? []).map((s) => {
    const n = s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(n)) throw new ConfigError('--signal', 'a number', s);
    return n;
  });
  return {
    key: v.key!,
    api: api(v),
    pair: v.pair!,
    session: number('session', 1, int(0, Number.MAX_SAFE_INTEGER), 'an integer >= 0'),
    name: v.name!,
    book: { curvature: number('curvature', undefined, positive, 'a number > 0 (the book is convex)'), price: number('price', undefined, () => true, 'a number') },
    contract: {
      rhoMilli: Math.round(number('rho', 2.5, (n) => n >= 0.001 && n <= 1e6, 'a number in [0.001, 1e6]') * 1000),
      maxIterations: number('max-iterations', 200, int(1, MAX_ARB_ITERATIONS), `an integer in [1, ${MAX_ARB_ITERATIONS}]`),
      epsilon: Math.round(number('epsilon', 1e-9, (n) => n >= 0 && n <= 1e9, 'a number in [0, 1e9]') * ARB_SCALE),
    },
    ...(signals.length > 0
      ? {
          signal: {
            values: signals,
            privacy: { clipNorm: number('signal-clip', 1, positive, 'a number > 0'), noiseMultiplier: number('signal-noise', 1, positive, 'a number > 0') },
            budget: { epsilon: number('signal-epsilon', 10, positive, 'a number > 0'), delta: number('signal-delta', 1e-6, (n) => n > 0 && n < 1, 'a number in (0, 1)') },
          },
        }
      : {}),
    timeoutMs: number('timeout-ms', 300_000, int(1, 86_400_000), 'an integer in [1, 86400000] (ms)'),
    pollMs: number('poll-ms', VENUE_POLL_MS, int(10, 60_000), 'an integer in [10, 60000] (ms)'),
  };
}
