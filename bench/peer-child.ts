/**
 * Child-process entry of peer-process.ts: starts one BenchPeer with the options in argv[2] (JSON)
 * and answers the parent's calls over IPC until `stop`. Exits when the parent goes away.
 */
import { BenchPeer } from './bench-peer.js';
import type { PeerCall, PeerReply } from './peer-process.js';

const send = (m: PeerReply): void => void process.send!(m);
process.on('disconnect', () => process.exit(1));

try {
  const peer = await BenchPeer.start(JSON.parse(process.argv[2]!));
  process.on('message', (m: PeerCall) => {
    const method = (peer as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.method];
    if (typeof method !== 'function') return send({ seq: m.seq, error: `no method ${m.method}` });
    method.apply(peer, m.args).then(
      (value) => {
        send({ seq: m.seq, value });
        if (m.method === 'stop') process.disconnect();
      },
      (err: unknown) => send({ seq: m.seq, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ seq: 0, value: 'ready' });
} catch (err) {
  send({ seq: 0, error: err instanceof Error ? err.message : String(err) });
  process.disconnect();
}
