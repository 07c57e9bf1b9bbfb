import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLISH_QUEUE_MAX_UPDATES, Publisher } from '../../net/gossip/publisher.js';

test('a full publish queue refuses with false (the API then answers 200 with published: false), and takes updates again once it drains', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const p = new Publisher(() => gate, 0);
  const u = new Uint8Array(8);
  for (let i = 0; i < PUBLISH_QUEUE_MAX_UPDATES; i++) assert.equal(p.enqueue(u), true, `update ${i} is queued`);
  // The first message takes up to GOSSIP_MAX_UPDATES_PER_MESSAGE off the queue once the loop runs.
  await new Promise((r) => setImmediate(r));
  const room = PUBLISH_QUEUE_MAX_UPDATES - p.queued;
  for (let i = 0; i < room; i++) assert.equal(p.enqueue(u), true, `refill ${i} is queued`);
  assert.equal(p.enqueue(u), false, 'past PUBLISH_QUEUE_MAX_UPDATES the queue refuses');
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(p.enqueue(u), true, 'once messages go out there is room again');
  p.stop();
});

test('gossip message id: one hash of the bytes as received, no decode; copies share it, junk gets one too', async () => {
  const { gossipMessageId, encodeGossipFrame } = await import('../../net/gossip/gossip-frame.js');
  const { createHash } = await import('node:crypto');
  const frame = encodeGossipFrame([new Uint8Array([1, 2, 3])]);
  const expect = createHash('sha256').update('murmur:v2:gossip-message\0').update(frame).digest();
  assert.deepEqual(Buffer.from(gossipMessageId(frame)), expect, 'SHA-256 over domain and data');
  assert.deepEqual(gossipMessageId(encodeGossipFrame([new Uint8Array([1, 2, 3])])), gossipMessageId(frame), 'the same lone update published twice has one id');
  assert.equal(gossipMessageId(new Uint8Array([0xff, 0xff])).length, 32, 'undecodable bytes still get an id (the validator rejects them)');
});
