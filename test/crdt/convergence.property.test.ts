import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Author, KIND_ATTESTATION, Log, MAX_UPDATE_BYTES, attestationKind } from '../../crdt/index.js';
import { attest, audit, delta, rawSignedUpdate, signerFor } from '../helpers/fixtures.js';
import { Prng } from '../helpers/prng.js';

interface Scenario {
  /** Every byte string produced, honest and Byzantine. */
  messages: Uint8Array[];
  /** Ids every replica must end up accepting. */
  valid: Set<string>;
}

/**
 * Random DAG from 3 honest authors and 2 Byzantine ones. Byzantine moves: equivocation, forged or
 * mutated signatures, garbage, missing deps, replays, oversized updates. Honest authors depend on
 * random earlier valid updates (equivocating ones included).
 */
export function buildScenario(seed: number, steps: number): Scenario {
  const rng = new Prng(seed);
  const honest = [0, 1, 2].map((i) => new Author(signerFor(`h${i}`)));
  const byz = signerFor(`byz-${seed % 3}`);
  const byzTips: { author: Author; id: string | null }[] = [{ author: new Author(byz), id: null }];
  const messages: Uint8Array[] = [];
  const valid = new Set<string>();
  const validIds: string[] = [];
  const addValid = (u: { id: string; bytes: Uint8Array }): string => {
    messages.push(u.bytes);
    valid.add(u.id);
    validIds.push(u.id);
    return u.id;
  };
  const byzIds = new Set<string>();
  const someDeps = (): string[] => (validIds.length === 0 ? [] : Array.from({ length: rng.int(3) }, () => rng.pick(validIds)));
  // A fork must not name its own other branch (that would be bad-seq, not equivocation).
  const byzDeps = (): string[] => someDeps().filter((id) => !byzIds.has(id));
  for (let t = 0; t < steps; t++) {
    const roll = rng.int(10);
    if (roll < 5) {
      const ops = [
        attest(rng.pick(['A', 'B']), rng.int(1000), rng.int(50)),
        ...(rng.int(4) === 0 ? [audit('ev', `s${t}`)] : []),
        ...(rng.int(6) === 0 ? [delta('m', rng.int(2), [rng.next(), 1])] : []),
      ];
      addValid(rng.pick(honest).next(ops, t, someDeps()));
    } else if (roll === 5) {
      // equivocation: the Byzantine author forks one of its tips into two updates with one seq
      const tip = rng.pick(byzTips);
      const fork = new Author(byz);
      if (tip.id !== null) fork.resume(tip.author.lastSeq, tip.id);
      tip.id = addValid(tip.author.next([attest('A', 5000 + t, t)], t, byzDeps()));
      byzIds.add(tip.id);
      const other = addValid(fork.next([attest('A', 7000 + t, t)], t, byzDeps()));
      byzIds.add(other);
      byzTips.push({ author: fork, id: other });
    } else if (roll === 6) {
      // forged and mutated copies of a genuine update (the genuine one is delivered too)
      const u = rng.pick(honest).next([attest('B', rng.int(1000), t)], t, someDeps());
      const forged = u.bytes.slice();
      forged[rng.int(forged.length)]! ^= 1 << rng.int(8);
      messages.push(forged);
      addValid(u);
    } else if (roll === 7) {
      messages.push(rng.bytes(rng.int(200)));
    } else if (roll === 8) {
      const payload = attestationKind.encode({ feed: 'A', exponent: 0, mantissa: 1, confidence: 0, observedAtMs: 1, sources: [] });
      messages.push(rawSignedUpdate(byz, { seq: 1, deps: [rng.bytes(32)], ops: [{ kind: KIND_ATTESTATION, payload }] }));
    } else if (messages.length > 0 && rng.int(2) === 0) {
      messages.push(rng.pick(messages));
    } else {
      messages.push(new Uint8Array(MAX_UPDATE_BYTES + 1 + rng.int(10)));
    }
  }
  return { messages, valid };
}

function snapshot(log: Log): unknown {
  const s = log.state;
  return {
    digest: log.digest(),
    feeds: s.feedIds().map((f) => [f, s.attestations(f)]),
    deltas: [0, 1].map((r) => s.deltas('m', r)),
    audit: s.auditLog(),
    evidence: log.evidence(),
    heads: log.authorKeys().map((a) => log.authorHeads(a)),
  };
}

test('replicas converge under reorder, duplication and Byzantine input; no valid update is lost', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.integer(), { minLength: 3, maxLength: 3 }), (seed, orders) => {
      const { messages, valid } = buildScenario(seed, 40);
      const replicas = orders.map((orderSeed) => {
        const rng = new Prng(orderSeed);
        const delivery = rng.shuffle([...messages, ...messages.filter(() => rng.int(3) === 0)]);
        const log = new Log();
        for (const m of delivery) log.offer(m);
        return log;
      });
      const first = snapshot(replicas[0]!);
      for (const [k, r] of replicas.entries()) {
        assert.deepEqual(snapshot(r), first, `replica ${k} matches replica 0 (seed ${seed})`);
        for (const id of valid) assert.ok(r.has(id), `replica ${k} holds valid update ${id} (seed ${seed})`);
        assert.equal(r.size, valid.size, `replica ${k} holds nothing beyond the valid set (seed ${seed})`);
      }
    }),
    { numRuns: 60 },
  );
});

test('merge is commutative, associative and idempotent (state as a function of the update set)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const { messages } = buildScenario(seed, 30);
      const rng = new Prng(seed ^ 0x5bd1e995);
      const parts = [0, 1, 2].map(() => messages.filter(() => rng.int(2) === 0));
      const merged = (...sets: Uint8Array[][]): string => {
        const log = new Log();
        for (const set of sets) for (const m of set) log.offer(m);
        // A node that has since seen every dep re-offers what it holds: state is a function of the set.
        return log.digest();
      };
      const [a, b, c] = parts as [Uint8Array[], Uint8Array[], Uint8Array[]];
      assert.equal(merged(a, b), merged(b, a), `commutative (seed ${seed})`);
      assert.equal(merged(merged2(a, b), c), merged(a, merged2(b, c)), `associative (seed ${seed})`);
      assert.equal(merged(a, a), merged(a), `idempotent (seed ${seed})`);
    }),
    { numRuns: 40 },
  );
});

/** What a replica holds after merging `x` then `y` (accepted in topological order, then pending). */
function merged2(x: Uint8Array[], y: Uint8Array[]): Uint8Array[] {
  const log = new Log();
  for (const m of [...x, ...y]) log.offer(m);
  return [...log.inOrder().map((r) => log.bytesOf(r.id)!), ...log.pendingUpdates()];
}

