import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ARB_SCALE, arbKind, ArbType, DecodeError, RejectCode, type ArbOp, type ArbView } from '../../crdt/index.js';
import { ArbIgnored, centralizedOptimum, deriveSession } from '../../src/arbsphere/session.js';
import { Venue } from '../../src/arbsphere/venue.js';
import { conformance } from '../../src/arbsphere/conformance.js';

const PAIR = 'toyPair:TEST';
const books = [{ curvature: 2, price: 100.5 }, { curvature: 3, price: 101.25 }] as const;
const contract = { rhoMilli: 2_500, maxIterations: 200, epsilon: 1 };

/** Ops through the real codec, with made-up update ids (no nodes). */
function view(author: string, op: ArbOp, seq: number): ArbView {
  const b = arbKind.encode(op);
  return { ...arbKind.decode(b), updateId: createHash('sha256').update(author).update(b).update(String(seq)).digest('hex'), index: 0, author, seq };
}

function play(extra: (ops: ArbView[]) => void = () => undefined): ArbView[] {
  const venues = [new Venue('A', books[0], PAIR, 1, contract), new Venue('B', books[1], PAIR, 1, contract)];
  const keys = ['a'.repeat(64), 'b'.repeat(64)];
  const ops: ArbView[] = venues.map((v, i) => view(keys[i]!, v.problem(), 0));
  for (let step = 0; step < 500; step++) {
    const s = deriveSession(PAIR, 1, ops);
    if (s.status !== 'running') break;
    venues.forEach((v, i) => {
      const p = v.next(s);
      if (p !== null) ops.push(view(keys[i]!, p, step + 1));
    });
    extra(ops);
  }
  return ops;
}

test('ArbSphere: exchange ADMM between two venues reaches the centralized optimum, as a pure function of the signed plans', () => {
  const ops = play();
  const s = deriveSession(PAIR, 1, ops);
  assert.equal(s.status, 'converged');
  const optimum = centralizedOptimum(books[0], books[1]);
  const xa = Number(s.trajectory.at(-1)!.sizes[0]) / ARB_SCALE;
  assert.ok(Math.abs(xa - optimum) / Math.abs(optimum) <= 1e-6, `venue A holds ${xa}, the optimum is ${optimum}`);
  assert.ok(Math.abs(Number(s.trajectory.at(-1)!.mean)) <= contract.epsilon, 'delta-neutral at the stop');
  const reversed = deriveSession(PAIR, 1, [...ops].reverse());
  assert.equal(reversed.digest, s.digest, 'any order of the ops gives the same DualVariables and digest');
});

test('ArbSphere: stale, impersonating, replayed and out-of-contract messages are refused or ignored with typed codes', () => {
  const byz = 'c'.repeat(64);
  let n = 0;
  const ops = play((list) => {
    if (n++ > 3) return;
    const forged = { type: ArbType.Plan, pair: PAIR, session: 1, nonce: 7, venue: 'A', iteration: 1, size: 9 * ARB_SCALE, deltaId: 'x' } as const;
    list.push(view(byz, forged, n), view(byz, forged, n + 100)); // impersonation, then the same nonce again
  });
  const s = deriveSession(PAIR, 1, ops);
  assert.equal(s.status, 'converged', 'the forgeries change nothing');
  const reasons = new Set(s.ignored.filter((x) => x.author === byz).map((x) => x.reason));
  assert.ok(reasons.has(ArbIgnored.NotTheVenue) && reasons.has(ArbIgnored.ReplayedNonce), `typed reasons: ${[...reasons]}`);
  const bytes = arbKind.encode({ type: ArbType.Plan, pair: PAIR, session: 1, nonce: 1, venue: 'A', iteration: 1, size: 0, deltaId: 'x' });
  bytes[0] = 2;
  assert.throws(() => arbKind.decode(bytes), (e: unknown) => e instanceof DecodeError && e.code === RejectCode.BadPayload && /schema version 2/.test(e.message), 'another schema version is bad-payload, naming it');
  const mismatch = [view('a'.repeat(64), { ...new Venue('A', books[0], PAIR, 1, contract).problem() }, 0), view('b'.repeat(64), { ...new Venue('B', books[1], PAIR, 1, { ...contract, rhoMilli: 1 }).problem() }, 0)];
  assert.equal(deriveSession(PAIR, 1, mismatch).status, 'contract-mismatch', 'venues that disagree on the contract do not run');
});

test('ArbSphere: with a Graph of Contracts in the registry, only the registered adapters are the pair\'s venues', () => {
  const [ka, kb, kx] = ['a'.repeat(64), 'b'.repeat(64), 'f'.repeat(64)];
  const adapters = new Map([['A', ka], ['B', kb]]);
  const ops = [
    view(kx, new Venue('A', books[0], PAIR, 1, contract).problem(), 0), // someone else claims venue A first
    view(kx, { ...new Venue('C', books[0], PAIR, 1, contract).problem(), nonce: 2 }, 1), // a venue the contracts do not name
    view(ka, new Venue('A', books[0], PAIR, 1, contract).problem(), 2),
    view(kb, new Venue('B', books[1], PAIR, 1, contract).problem(), 3),
  ];
  const s = deriveSession(PAIR, 1, ops, adapters);
  assert.deepEqual(s.venues, [{ venue: 'A', key: ka }, { venue: 'B', key: kb }], 'the registered adapters are the venues');
  assert.deepEqual(new Set(s.ignored.map((x) => x.reason)), new Set([ArbIgnored.NotTheVenue, ArbIgnored.UnregisteredAdapter]), 'the impostor and the stranger are ignored, typed');
  assert.equal(s.status, 'running');
});

test('ArbSphere conformance: honest venues pass; an adapter that solves without seeing the other venue\'s plan fails, saying where', () => {
  const ops = play();
  const s = deriveSession(PAIR, 1, ops);
  const order = new Map(ops.map((o, i) => [o.updateId, i]));
  const before = (a: string, b: string) => order.get(a)! < order.get(b)!;
  for (const v of ['A', 'B']) {
    const c = conformance(s, ops, v, before);
    assert.ok(c.pass, `venue ${v} conforms: ${JSON.stringify(c.checks.filter((x) => !x.pass))}`);
  }
  const blind = conformance(s, ops, 'A', () => false);
  assert.equal(blind.pass, false, 'a venue whose plans never saw the other venue\'s fails');
  assert.match(blind.checks.find((x) => !x.pass)!.name, /other venue's last plan/);
  assert.equal(conformance(s, ops, 'Z', before).pass, false, 'a venue with no counted Problem op fails');
});
