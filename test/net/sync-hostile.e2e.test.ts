import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as lp from 'it-length-prefixed';
import type { Stream } from '@libp2p/interface';
import { KEY_INFINITY, KEY_MIN } from '../../net/sync/key-index.js';
import { encodeFrame, FrameType, RangeMode, SYNC_MAX_RANGES, type Frame, type Range } from '../../net/sync/messages.js';
import { SYNC_MAX_INBOUND_SESSIONS } from '../../net/sync/sync-service.js';
import { DEFAULT_SYNC_LIMITS } from '../../net/sync/sync-session.js';
import { syncProtocol } from '../../net/protocol-ids.js';
import type { MurmurNode } from '../../src/node.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

/**
 * A hostile peer built from the real protocol: a murmur node whose sync streams to the victim
 * carry frames of the attacker's choosing (the codec and length prefix are the real ones).
 */
async function hostileStream(from: MurmurNode, to: MurmurNode): Promise<Stream> {
  return from.network.libp2p.dialProtocol(to.network.libp2p.peerId, syncProtocol('murmur-test'));
}

/** Writes frames, then keeps the stream open (idle) until `hold` resolves. */
function feed(stream: Stream, frames: Frame[], hold: Promise<void> = Promise.resolve()): Promise<void> {
  return stream.sink(
    lp.encode(
      (async function* () {
        for (const f of frames) yield encodeFrame(f);
        await hold;
      })(),
    ),
  );
}

/** Whether the victim ends (refuses) the stream within `ms`; an accepted idle session would wait for its 10 s read timeout, so 4 s tells them apart even on a loaded machine. */
async function refusedSoon(stream: Stream, ms = 4_000): Promise<boolean> {
  const ended = (async () => {
    try {
      for await (const _ of stream.source) {
        /* a refused stream carries nothing */
      }
    } catch {
      /* reset: refused */
    }
    return true;
  })();
  return Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/**
 * Runs `attempt` until the victim blocks the attacker (at most 10 tries): a busy victim refuses an
 * inbound session unread, and a real attacker would simply try again.
 */
async function untilBlocked(victim: MurmurNode, attacker: MurmurNode, attempt: () => Promise<void>): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    await attempt().catch(() => undefined);
    if (await waitFor(() => victim.network.penalties.blocked(attacker.peerId), 1_000)) return true;
  }
  return false;
}

async function pair(label: string): Promise<{ victim: MurmurNode; nodes: MurmurNode[]; add: () => Promise<MurmurNode>; stop: () => Promise<void> }> {
  const dirs = [tempDataDir(`${label}-victim`)];
  const victim = await startNode(dirs[0]!, { syncIntervalMs: 3_600_000 });
  const nodes: MurmurNode[] = [];
  return {
    victim,
    nodes,
    add: async () => {
      const d = tempDataDir(`${label}-${nodes.length}`);
      dirs.push(d);
      const n = await startNode(d, { bootstrap: [victim.network.multiaddrs()[0]!], syncIntervalMs: 3_600_000 });
      nodes.push(n);
      assert.ok(await waitFor(() => victim.network.peers().some((x) => x.id === n.peerId), 10_000), 'the peer connected');
      // Let the on-connect session (if any) finish, so the slots are free.
      await new Promise((r) => setTimeout(r, 300));
      return n;
    },
    stop: async () => {
      await Promise.allSettled([...nodes, victim].map((n) => n.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

async function seed(node: MurmurNode, n: number): Promise<void> {
  const a = authorFor(`seed-${node.peerId}`);
  for (let i = 0; i < n; i++) await node.submit(a.next([attest('S', i, i)], i).bytes);
}

test('sync: overlapping ranges are a protocol violation, refused before any work (the peer is blocked)', async (t) => {
  const p = await pair('sync-overlap');
  t.after(p.stop);
  await seed(p.victim, 300);
  const attacker = await p.add();
  // 16 frames of 512 whole-keyspace fingerprint ranges: one turn of 8 192 overlapping ranges.
  const whole: Range = { lower: KEY_MIN, upper: KEY_INFINITY, mode: RangeMode.Fingerprint, fingerprint: new Uint8Array(16), count: 1 };
  const frames: Frame[] = Array.from({ length: DEFAULT_SYNC_LIMITS.maxRangesPerTurn / SYNC_MAX_RANGES }, () => ({ type: FrameType.Reconcile, ranges: Array.from({ length: SYNC_MAX_RANGES }, () => whole) }));
  frames.push({ type: FrameType.TurnEnd, more: true });
  const blocked = await untilBlocked(p.victim, attacker, async () => {
    await feed(await hostileStream(attacker, p.victim), frames);
  });
  assert.ok(blocked, 'the sender of overlapping ranges is blocked');
  assert.equal(p.victim.network.sync.metrics.failures['sync-protocol'], 1, 'as a protocol violation');
});

test('sync: the responder enforces the round limit too (a peer that never stops asking is cut off)', async (t) => {
  const p = await pair('sync-rounds');
  t.after(p.stop);
  const attacker = await p.add();
  // Turns that only say "more": an honest responder answers each one.
  const turns: Frame[] = Array.from({ length: DEFAULT_SYNC_LIMITS.maxRounds + 6 }, () => ({ type: FrameType.TurnEnd, more: true }));
  let stop!: () => void;
  const hold = new Promise<void>((r) => (stop = r));
  t.after(() => stop());
  const blocked = await untilBlocked(p.victim, attacker, async () => {
    const stream = await hostileStream(attacker, p.victim);
    void feed(stream, turns, hold).catch(() => undefined);
    // Drain the victim's answers, as a peer would.
    for await (const _ of stream.source) {
      /* discard */
    }
  });
  assert.ok(blocked, `the peer is blocked after ${DEFAULT_SYNC_LIMITS.maxRounds} rounds`);
  assert.equal(p.victim.network.sync.metrics.failures['sync-limit'], 1, 'as a limit violation');
});

test('sync: one session per peer, inbound sessions capped, and the node\'s own catch-up keeps its slots', async (t) => {
  const p = await pair('sync-slots');
  t.after(p.stop);
  // The honest peer's updates spread before the others join, and every node holds them before the
  // slots are taken: a node that got an update ahead of its deps would open a real inbound session
  // of its own (syncSoon) and could free a slot between b taking one and c being checked.
  const honest = await p.add();
  await seed(honest, 50);
  assert.ok(await waitFor(() => p.victim.log.size === 50, 10_000), 'the victim holds the honest peer\'s updates');
  const [a, b, c] = [await p.add(), await p.add(), await p.add()];
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  t.after(() => release());
  assert.ok(await waitFor(() => [a, b, c].every((n) => n.log.size === 50) && p.victim.network.sync.inboundSessions === 0, 15_000), 'the joiners caught up and the on-connect sessions have ended');
  // a opens two idle sessions: the second is refused (one per peer).
  const a1 = await hostileStream(a, p.victim);
  void feed(a1, [], hold).catch(() => undefined);
  const a2 = await hostileStream(a, p.victim);
  void feed(a2, [], hold).catch(() => undefined);
  assert.equal(await refusedSoon(a2), true, 'a second inbound session from the same peer is refused at once');
  // b takes the last inbound slot; c (a Sybil of a) is refused.
  const b1 = await hostileStream(b, p.victim);
  void feed(b1, [], hold).catch(() => undefined);
  assert.ok(await waitFor(() => p.victim.network.sync.inboundSessions === SYNC_MAX_INBOUND_SESSIONS, 5_000), 'a and b hold the inbound slots');
  const c1 = await hostileStream(c, p.victim);
  void feed(c1, [], hold).catch(() => undefined);
  assert.equal(await refusedSoon(c1), true, `past ${SYNC_MAX_INBOUND_SESSIONS} inbound sessions a third peer is refused at once`);
  // The victim's own session with an honest peer does not wait for the idle ones (10 s read timeout).
  const t0 = performance.now();
  const r = await p.victim.network.sync.syncWith(honest.network.libp2p.peerId);
  const ms = performance.now() - t0;
  assert.ok(r !== null, 'the outbound session ran');
  assert.ok(ms < 3_000, `at once (${Math.round(ms)} ms), while idle peers hold the inbound slots`);
  assert.equal(p.victim.network.sync.inboundSessions, SYNC_MAX_INBOUND_SESSIONS, 'and the idle peers still hold theirs');
});
