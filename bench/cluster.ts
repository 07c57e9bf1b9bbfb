import { startPeer, type Peer } from './peer-process.js';

/**
 * Starts `n` bench peers on loopback TCP, each bootstrapped to every one before it (fully meshed):
 * one child process per node unless `inProcess`.
 */
export async function benchCluster(n: number, label: string, inProcess: boolean): Promise<{ peers: Peer[]; stop: () => Promise<void> }> {
  const peers: Peer[] = [];
  const addrs: string[] = [];
  const stop = async (): Promise<void> => void (await Promise.allSettled(peers.map((p) => p.stop())));
  try {
    for (let i = 0; i < n; i++) {
      const peer = await startPeer({ label: `${label}-${i}`, bootstrap: [...addrs] }, inProcess);
      peers.push(peer);
      addrs.push((await peer.address()).multiaddr);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { peers, stop };
}
