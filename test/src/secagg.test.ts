import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareOf, SecAggType, type SecAggReveal, type SecAggView } from '../../crdt/index.js';
import { join } from 'node:path';
import { applyMask, KernelError, KernelErrorCode, shamirCombine } from '../../kernels/index.js';
import { ContributorAccountant } from '../../src/contributor/private-delta.js';
import { fixedPointInput, SecAggParticipant } from '../../src/secagg/participant.js';
import { secureSum, SecAggFailure } from '../../src/secagg/unmask.js';
import { cast, drive } from '../helpers/secagg-round.js';
import { scratchDir } from '../helpers/scratch.js';

const PHASES = ['keys', 'shares', 'masked', 'reveal'];
/** Participant i drops from `phase` on (it does the earlier phases). */
const dropAt = (drops: Record<number, string>) => (i: number, phase: string | null) => drops[i] === undefined || PHASES.indexOf(phase!) < PHASES.indexOf(drops[i]!);

function plainSum(values: Float32Array[], members: number[], c: Parameters<typeof fixedPointInput>[1]): Int32Array {
  const out = new Int32Array(c.dimension);
  for (const m of members) {
    const q = fixedPointInput(values[m]!, c);
    for (let i = 0; i < out.length; i++) out[i] = (out[i]! + q[i]!) | 0;
  }
  return out;
}

const bytes = (a: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

for (const [label, n, over, drops] of [
  ['0 dropouts, complete graph', 5, {}, {}],
  ['1 dropout before masking', 5, {}, { 2: 'masked' }],
  ['1 dropout after masking', 5, {}, { 4: 'reveal' }],
  // Degree 5, threshold 3: each survivor needs 3 of 5 neighbours, so threshold - 1 = 2 may drop.
  ['threshold - 1 = 2 dropouts (one before masking, one after)', 6, { neighbours: 5, maxMembers: 6 }, { 1: 'masked', 3: 'reveal' }],
  ['threshold - 1 = 2 dropouts before masking', 6, { neighbours: 5, maxMembers: 6 }, { 0: 'masked', 5: 'masked' }],
  // Degree 6, threshold 4: 2 dropouts in any neighbourhood are recovered.
  ['2 dropouts on a 6-regular graph of 12 (threshold 4)', 12, { neighbours: 6, threshold: 4 }, { 0: 'masked', 7: 'reveal' }],
] as const) {
  test(`secure sum equals the plain fixed-point sum byte for byte: ${label}`, () => {
    const c = cast(n, over);
    const final = drive(c, dropAt(drops));
    const out = secureSum(final);
    assert.equal(out.reason, null, `no failure expected: ${JSON.stringify(out.failures)}`);
    const r = out.result!;
    const dropsBeforeMask = Object.entries(drops).filter(([, p]) => p === 'masked').map(([i]) => Number(i));
    const memberOf = new Map(final.rosters[0]!.members.map((m) => [m.author, m.index]));
    const survivorsByKey = r.survivors.map((s) => final.rosters[0]!.members[s]!.author);
    for (const i of dropsBeforeMask) assert.ok(!survivorsByKey.includes(c.keys[i]!), `participant ${i} dropped before masking and is not a survivor`);
    const expected = plainSum(c.values, survivorsByKey.map((k) => c.keys.indexOf(k)), c.config);
    assert.deepEqual(bytes(r.sum), bytes(expected), 'unmasked sum bytes equal the plain fixed-point sum');
    assert.equal(r.survivors.length, n - dropsBeforeMask.length, 'every member that masked survives');
    assert.ok(memberOf.size === n, 'every participant is a member');
  });
}

test('past the threshold the round fails with a typed reason and reveals nothing', () => {
  const c = cast(6, { neighbours: 5, maxMembers: 6 });
  // Three of six drop after masking: every survivor has at most 2 of its 5 neighbours left to reveal (threshold 3).
  const final = drive(c, dropAt({ 0: 'reveal', 1: 'reveal', 2: 'reveal' }));
  const out = secureSum(final);
  assert.equal(out.result, null, 'no sum');
  assert.equal(out.reason, SecAggFailure.InsufficientShares);
  const r = final.rosters[0]!;
  const reveals = r.closes[0]!.reveals;
  const slot = (d: number, h: { author: string }) => r.graph[d]!.indexOf(r.members.findIndex((m) => m.author === h.author)) + 1;
  for (let d = 0; d < r.members.length; d++) {
    const seedShares = reveals.flatMap((x) => x.entries.filter((e) => e.dealer === d && e.of === ShareOf.SelfMask).map((e) => ({ x: slot(d, x), y: e.share })));
    const keyShares = reveals.flatMap((x) => x.entries.filter((e) => e.dealer === d && e.of === ShareOf.MaskKey));
    assert.equal(keyShares.length, 0, `member ${d} survived: nobody reveals its mask key`);
    if (seedShares.length < c.config.threshold) continue;
    // Its seed is out (enough of its neighbours answered), yet its input is not: the pairwise masks still cover it.
    const p = c.participants[c.keys.indexOf(r.members[d]!.author)]!;
    const y = new Int32Array(c.config.dimension);
    for (const sl of r.masked.get(d)!.slices) y.set(new Int32Array(sl.data.slice().buffer), sl.offset);
    applyMask(y, shamirCombine(seedShares.slice(0, c.config.threshold)), 0, -1);
    const x = fixedPointInput(c.values[c.participants.indexOf(p)]!, c.config);
    assert.ok(y.some((v, i) => v !== x[i]), `member ${d}: its masked vector less its self mask is not its input`);
  }
});

test('too few survivors: the coordinator closes nothing and says why', () => {
  const c = cast(5);
  const final = drive(c, dropAt({ 0: 'masked', 1: 'masked', 2: 'masked' }));
  assert.equal(final.rosters[0]!.closes.length, 0, 'no close');
  assert.match(c.coordinator.failure ?? '', /too-few-survivors/);
  assert.equal(secureSum(final).reason, SecAggFailure.NoClose);
});

test('a masked vector is uniform in Z_2^32 whatever the input (chi-square on the top byte)', () => {
  const c = cast(5, { dimension: 65_536 });
  c.values.forEach((v) => v.fill(0)); // the most structured input there is
  const final = drive(c);
  const slices = final.rosters[0]!.masked.get(0)!.slices;
  const counts = new Array<number>(256).fill(0);
  for (const s of slices) for (let i = 3; i < s.data.length; i += 4) counts[s.data[i]!]!++;
  const expected = 65_536 / 256;
  const chi2 = counts.reduce((a, k) => a + (k - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 340, `chi-square ${chi2.toFixed(1)} with 255 degrees of freedom is below the p = 1e-4 critical value`);
  assert.equal(secureSum(final).result!.sum.every((x) => x === 0), true, 'and the sum of zeros is zero');
});

test('a malformed share from a Byzantine member drops it, and the sum of the others is exact', () => {
  const c = cast(6, { neighbours: 4, threshold: 3 });
  const byz = 2;
  const inner = c.participants[byz]!;
  const step = inner.step.bind(inner);
  inner.step = (s, now) => {
    const out = step(s, now);
    for (const u of out.updates) for (const o of u) {
      const body = o.body as SecAggView;
      if (body.type === SecAggType.Shares) (body.entries[0]!.ciphertext as Uint8Array)[5]! ^= 1; // its first neighbour cannot decrypt
    }
    return out;
  };
  const final = drive(c);
  const r = final.rosters[0]!;
  const out = secureSum(final);
  assert.equal(out.reason, null, JSON.stringify(out.failures));
  const byzIndex = r.members.findIndex((m) => m.author === c.keys[byz]);
  assert.ok(!out.result!.survivors.includes(byzIndex), 'the member whose share did not decrypt is not a survivor');
  const honest = out.result!.survivors.map((s) => c.keys.indexOf(r.members[s]!.author));
  assert.deepEqual(bytes(out.result!.sum), bytes(plainSum(c.values, honest, c.config)), 'the sum of the rest is exact');
});

test('conflicting closes in a partition: no honest member reveals both shares of anyone, and the outcome is one answer', () => {
  const c = cast(7, { neighbours: 6, threshold: 4 });
  drive(c, dropAt(Object.fromEntries(c.keys.map((_, i) => [i, 'reveal']))));
  const r = c.round.state().rosters[0]!;
  // The coordinator (faulty, or on both sides of a partition) signs two closes: one with everyone, one without member 0.
  const all = r.members.map((m) => m.index);
  const c1 = c.round.add(c.coordinatorKey, { type: SecAggType.Close, stream: 'model', round: 7, roster: r.id, survivors: all });
  const c2 = c.round.add(c.coordinatorKey, { type: SecAggType.Close, stream: 'model', round: 7, roster: r.id, survivors: all.filter((x) => x !== 0) });
  // Side A sees only c1, side B only c2; each member answers the close it sees first.
  c.participants.forEach((p, i) => {
    const other = i % 2 === 0 ? c2.updateId : c1.updateId;
    c.round.addUpdates(c.keys[i]!, p.step(c.round.state((o) => o.updateId !== other), 10_000).updates);
  });
  // After the heal everyone sees both: nobody answers again.
  c.participants.forEach((p, i) => assert.equal(p.step(c.round.state(), 20_000).updates.length, 0, `participant ${i} answers one close only`));
  const reveals = c.round.ops.filter((o): o is SecAggView & SecAggReveal => o.type === SecAggType.Reveal);
  for (const rv of reveals) {
    const dealers = new Map<number, Set<number>>();
    for (const e of reveals.filter((x) => x.author === rv.author).flatMap((x) => x.entries)) dealers.set(e.dealer, (dealers.get(e.dealer) ?? new Set()).add(e.of));
    for (const [d, kinds] of dealers) assert.ok(kinds.size === 1, `member ${rv.author.slice(0, 8)} revealed one kind of share of dealer ${d}`);
  }
  for (const d of all) {
    const kinds = [ShareOf.SelfMask, ShareOf.MaskKey].map((of) => reveals.flatMap((x) => x.entries).filter((e) => e.dealer === d && e.of === of).length);
    assert.ok(kinds.some((k) => k < c.config.threshold), `dealer ${d}: an observer never holds threshold shares of both secrets (${kinds})`);
  }
  const forward = secureSum(c.round.state());
  const backward = secureSum(c.round.state(() => true));
  assert.equal(forward.result?.close ?? forward.reason, backward.result?.close ?? backward.reason, 'one outcome whatever the order');
});

test('a partition during the share phase: members mask without the shares they never saw, none reveals both shares, and the sum is exact', () => {
  const c = cast(8, { neighbours: 4, threshold: 3 }, 1_000);
  const side = (author: string) => c.keys.indexOf(author) < 4 || author === c.coordinatorKey;
  // Until 3 000 ms (past every share wait), side A (0-3 and the coordinator) and side B (4-7) see only their own side's shares.
  const sees = (i: number, now: number) => (o: SecAggView) => {
    if (now >= 3_000 || o.type !== SecAggType.Shares) return true;
    const mine = i < 0 || i < 4;
    return side(o.author) === mine;
  };
  const final = drive(c, () => true, 400, sees);
  const out = secureSum(final);
  const r = final.rosters[0]!;
  for (const p of c.participants) {
    const byDealer = new Map<number, Set<number>>();
    for (const rv of c.round.ops.filter((o): o is SecAggView & SecAggReveal => o.type === SecAggType.Reveal && o.author === p.state.author)) for (const e of rv.entries) byDealer.set(e.dealer, (byDealer.get(e.dealer) ?? new Set()).add(e.of));
    for (const [d, kinds] of byDealer) assert.equal(kinds.size, 1, `participant ${p.state.author.slice(0, 8)} revealed one kind of share of ${d}`);
  }
  assert.ok([...r.masked.values()].some((m) => m.included.length < r.degree), 'the partition kept some neighbours out of each other\'s masks');
  assert.equal(out.reason, null, `the round completes over the consistent survivors: ${JSON.stringify(out.failures)}`);
  const members = out.result!.survivors.map((s) => c.keys.indexOf(r.members[s]!.author));
  assert.deepEqual(bytes(out.result!.sum), bytes(plainSum(c.values, members, c.config)), 'exact over the survivors');
});

test('distributed DP: the unmasked sum carries noise of the declared std, drawn by the contributors, which nobody can regenerate from public values', () => {
  const noiseStd = 0.01;
  const over = { dimension: 4_096, noiseStd, scaleBits: 16 };
  const runs = [0, 1].map(() => {
    const c = cast(5, over);
    c.values.forEach((v) => v.fill(0.001)); // identical public inputs in both runs
    const out = secureSum(drive(c));
    assert.equal(out.reason, null, JSON.stringify(out.failures));
    const plain = plainSum(c.values, [0, 1, 2, 3, 4], c.config);
    return Float64Array.from(out.result!.sum, (v, i) => v - plain[i]!);
  });
  // Five survivors, each adding noise of std noiseStd * 2^16 / sqrt(threshold 3).
  const want = noiseStd * 2 ** 16 * Math.sqrt(5 / 3);
  for (const [k, noise] of runs.entries()) {
    const sd = Math.sqrt(noise.reduce((a, x) => a + x * x, 0) / noise.length);
    assert.ok(Math.abs(sd / want - 1) < 0.06, `run ${k}: noise std ${sd.toFixed(1)} is the declared ${want.toFixed(1)}`);
  }
  const [a, b] = runs as [Float64Array, Float64Array];
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
  const corr = dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(corr) < 0.08, `two rounds with the same public inputs share no noise (correlation ${corr.toFixed(3)})`);
});

test('distributed DP is charged to the contributor\'s own budget before its masked vector is signed, and refused past it', () => {
  const c = cast(5, { noiseStd: 10, clipNorm: 10 });
  const dir = scratchDir('secagg-budget');
  const accountant = new ContributorAccountant(join(dir, 'k.privacy.json'), { epsilon: 6, delta: 1e-6 });
  accountant.charge('secagg:model', { clipNorm: 10, noiseMultiplier: 1 }); // an earlier round: rho 0.5, epsilon 5.76 of 6
  const p0 = c.participants[0]!;
  const withBudget = new SecAggParticipant({ keyPath: join(dir, 'k'), author: c.keys[0]!, stream: 'model', round: 7, config: c.config, values: c.values[0]!, shareWaitMs: 1_000, accountant });
  c.participants[0] = withBudget;
  assert.throws(() => drive(c), (e: unknown) => e instanceof KernelError && e.code === KernelErrorCode.BudgetExceeded, 'the second round would exceed the budget: refused');
  assert.equal(withBudget.state.sent.masked, false, 'and its masked vector was never signed');
  assert.ok(p0 !== withBudget, 'the budgeted participant replaced the first');
});
