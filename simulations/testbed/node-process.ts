/**
 * One testbed node as its own OS process (run inside its network namespace by the testbed):
 * `murmur start` with the config file given, plus, where the kernel has no netem, the userspace
 * delay line of simulations/link.ts on its TCP connections (every chunk it receives waits the
 * link's latency and jitter). argv: <config.json> <latencyMs> <jitterMs> <seed>.
 * Prints one JSON line {ready, peerId, api} once started; SIGTERM stops it cleanly.
 */
import { tcp } from '@libp2p/tcp';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { MurmurNode } from '../../src/node.js';
import { exitOnSignals } from '../../src/shutdown.js';
import { conditioned } from '../link.js';
import { Prng } from '../rng.js';

const [configPath, latency, jitter, seed] = process.argv.slice(2);
const config = resolveConfig(readConfigFile(configPath!));
const shape = { latencyMs: Number(latency), jitterMs: Number(jitter) };
const counters = { bytesIn: 0, bytesOut: 0 };
const node = await MurmurNode.start({
  config,
  ...(shape.latencyMs > 0 || shape.jitterMs > 0 ? { networkHooks: { transports: [conditioned(tcp(), shape, new Prng(Number(seed)), counters)] } } : {}),
});
console.log(JSON.stringify({ ready: true, peerId: node.peerId, api: node.apiUrl }));
exitOnSignals(node);
