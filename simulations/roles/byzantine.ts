import { TopicValidatorResult } from '@libp2p/interface';
import { KIND_AUDIT, type OpInput } from '../../crdt/index.js';
import type { MurmurNode } from '../../src/node.js';
import type { Prng } from '../rng.js';
import { Contributor } from './contributor.js';

/** What a Byzantine behaviour can reach: its own node, the honest nodes, and the seeded rng. */
export interface ByzantineContext {
  readonly rng: Prng;
  node(i: number): MurmurNode | null;
  /** Online honest nodes. */
  honestOnline(): number[];
}

const auditOp = (subject: string): OpInput => ({ kind: KIND_AUDIT, body: { eventType: 'sim', subject, details: '', refs: [] } });

/** A valid update from `c`, signed and then broken: a flipped signature bit, or a body byte changed after signing. */
export function forgedUpdate(c: Contributor, node: MurmurNode, n: number): Uint8Array {
  const { bytes } = c.next(node, [auditOp(`forged-${n}`)]);
  c.discard(); // never submitted: the chain stays where it was
  const out = Uint8Array.from(bytes);
  if (n % 2 === 0) out[out.length - 1]! ^= 0x01;
  else out[out.length - 70]! ^= 0x01; // inside the ops, covered by the signature
  return out;
}

/** Each tick: two conflicting updates with the same seq, one to its own node, one to another honest node. */
export function equivocatorTick(ctx: ByzantineContext, i: number, c: Contributor, n: number): void {
  const own = ctx.node(i);
  const others = ctx.honestOnline();
  if (own === null || others.length === 0 || c.busy) return;
  const other = ctx.node(ctx.rng.pick(others))!;
  const [a, b] = c.fork(own, [auditOp(`fork-${n}-a`)], [auditOp(`fork-${n}-b`)]);
  c.busy = true;
  void Promise.all([own.submit(a.bytes).catch(() => null), other.submit(b.bytes).catch(() => null)]).then(([ra, rb]) => {
    c.busy = false;
    const ok = ra?.outcome.status === 'accepted' || rb?.outcome.status === 'accepted';
    c.settle(ok, ra?.outcome.status === 'accepted' ? a : b);
  });
}

/** Each tick: one forged update gossiped raw from its node (its own log never sees it). */
export function forgerTick(ctx: ByzantineContext, i: number, c: Contributor, n: number): void {
  const node = ctx.node(i);
  if (node !== null) node.network.publish(forgedUpdate(c, node, n));
}

/** Each tick: `batch` random old updates from its log gossiped again. */
export function replayerTick(ctx: ByzantineContext, i: number, batch: number): void {
  const node = ctx.node(i);
  if (node === null || node.log.size === 0) return;
  const ids = [...node.log.ids()];
  for (let k = 0; k < batch; k++) node.network.publish(node.log.bytesOf(ctx.rng.pick(ids))!);
}

/**
 * Each tick: `valid` updates submitted through its own node (gossiped as usual), and `orphans`
 * updates whose parent it keeps to itself, so they wait in every pending buffer.
 */
export async function flooderTick(ctx: ByzantineContext, i: number, valid: Contributor, orphan: Contributor, counts: { valid: number; orphans: number }): Promise<void> {
  const node = ctx.node(i);
  if (node === null) return;
  for (let k = 0; k < counts.orphans; k++) {
    const parent = orphan.next(node, [auditOp('withheld-parent')]);
    orphan.keep(parent); // the chain goes on from the withheld parent
    const child = orphan.next(node, [auditOp('orphan')]);
    orphan.keep(child);
    node.network.publish(child.bytes);
  }
  for (let k = 0; k < counts.valid; k++) await valid.submit(node, [auditOp(`flood-${valid.submitted}`)]);
}

/** A node that relays nothing it receives by gossip (it still answers sync). */
export function makeWithholder(node: MurmurNode): void {
  const pubsub = node.network.libp2p.services.pubsub;
  pubsub.topicValidators.set(node.network.topic, () => TopicValidatorResult.Ignore);
}
