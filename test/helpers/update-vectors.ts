import { Author, KIND_ATTESTATION, MAX_DEPS, Signer, attestationKind, decodeUpdate, toHex } from '../../crdt/index.js';
import { audit, attest, delta, rawSignedUpdate } from './fixtures.js';

/** One step of docs/vectors/updates-v1.json: offer `bytes` to a log that took every earlier step. */
export interface UpdateVector {
  readonly name: string;
  readonly bytes: string;
  readonly id: string | null;
  readonly header: string | null;
  readonly expect: { status: string; code?: string };
}

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** The vector sequence, built deterministically from fixed seeds (RFC 8032 signing is deterministic). */
export function buildUpdateVectors(): { seeds: Record<string, string>; steps: UpdateVector[] } {
  const alice = new Signer(seed(1));
  const bob = new Signer(seed(2));
  const a = new Author(alice);
  const b = new Author(bob);
  const steps: UpdateVector[] = [];
  const push = (name: string, bytes: Uint8Array, expect: UpdateVector['expect']): void => {
    let id: string | null = null;
    let header: string | null = null;
    try {
      const u = decodeUpdate(bytes);
      id = u.id;
      header = toHex(u.header);
    } catch {
      /* undecodable vectors carry no id */
    }
    steps.push({ name, bytes: toHex(bytes), id, header, expect });
  };
  const a1 = a.next([attest('ETH/USD', 250137, 1_700_000_000_000, { sources: ['binance', 'kraken'] })], 1_700_000_000_001);
  push('alice seq 1: one attestation', a1.bytes, { status: 'accepted' });
  const b1 = b.next([audit('key-rotation', 'bob', [a1.id]), delta('model-7', 3, [0.25, -1.5, 3])], 1_700_000_000_002, [a1.id]);
  push('bob seq 1: audit + delta, depends on alice 1', b1.bytes, { status: 'accepted' });
  const a2 = a.next([attest('ETH/USD', 250140, 1_700_000_000_500), attest('BTC/USD', 9100000, 1_700_000_000_500)], 1_700_000_000_600, [b1.id]);
  const a3 = a.next([attest('ETH/USD', 250150, 1_700_000_001_000)], 1_700_000_001_100);
  push('alice seq 3 before seq 2: pending', a3.bytes, { status: 'pending' });
  push('alice seq 2: two attestations; releases seq 3', a2.bytes, { status: 'accepted' });
  push('replay of alice seq 2', a2.bytes, { status: 'duplicate' });
  const forged = a1.bytes.slice();
  forged[forged.length - 1]! ^= 0x01;
  push('alice seq 1 with one signature bit flipped', forged, { status: 'rejected', code: 'bad-signature' });
  const payload = attestationKind.encode({ feed: 'X', exponent: 0, mantissa: 1, confidence: 0, observedAtMs: 0, sources: [] });
  push('bob seq 3 after seq 1', rawSignedUpdate(bob, { seq: 3, deps: [Buffer.from(b1.id, 'hex')], ops: [{ kind: KIND_ATTESTATION, payload }] }), {
    status: 'rejected',
    code: 'bad-seq',
  });
  push('unknown op kind 77', rawSignedUpdate(bob, { seq: 2, deps: [Buffer.from(b1.id, 'hex')], ops: [{ kind: 77, payload }] }), {
    status: 'rejected',
    code: 'unknown-kind',
  });
  push('trailing byte', Uint8Array.from([...a1.bytes, 0]), { status: 'rejected', code: 'bad-encoding' });
  const many = Array.from({ length: MAX_DEPS + 1 }, (_, i) => seed(i + 10));
  push('33 deps', rawSignedUpdate(bob, { seq: 2, deps: many, ops: [{ kind: KIND_ATTESTATION, payload }] }), { status: 'rejected', code: 'bad-deps' });
  return { seeds: { alice: toHex(seed(1)), bob: toHex(seed(2)) }, steps };
}
