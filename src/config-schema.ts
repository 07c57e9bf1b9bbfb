import { multiaddr } from '@multiformats/multiaddr';
import * as v from 'valibot';
import { NETWORK_ID_RE } from '../net/index.js';
import { BACKEND_CHOICES } from '../kernels/backend.js';

/**
 * The node's config, defined once (valibot): each field's type, bounds, default and the comment
 * `murmur init` writes above it. `resolveConfig` validates with it and `configTemplate` renders
 * it, so the two cannot disagree. Every message is the expected value, as ConfigError shows it.
 */

/** The shortest retention period: one minute (sweeps run every RETENTION_SWEEP_MS). */
export const RETENTION_MIN_MS = 60_000;
/** The longest: about ten years. */
export const RETENTION_MAX_MS = 10 * 365 * 86_400_000;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number) => v.pipe(v.number(`an integer in ${min}..${max}`), v.integer(`an integer in ${min}..${max}`), v.minValue(min, `an integer in ${min}..${max}`), v.maxValue(max, `an integer in ${min}..${max}`));
const bool = () => v.boolean('true or false');
const text = () => v.pipe(v.string('a non-empty string'), v.nonEmpty('a non-empty string'));

function isMultiaddr(s: string, needPeerId: boolean): boolean {
  try {
    const m = multiaddr(s);
    return !needPeerId || m.getPeerId() !== null;
  } catch {
    return false;
  }
}

const addrs = (needPeerId: boolean) => {
  const expected = needPeerId ? 'a multiaddr ending in /p2p/<peer id>' : 'a multiaddr such as /ip4/0.0.0.0/tcp/4001';
  return v.array(v.pipe(v.string(expected), v.check((s) => isMultiaddr(s, needPeerId), expected), v.transform((s) => multiaddr(s).toString())), 'a list of multiaddrs');
};

const field = <S extends v.GenericSchema>(schema: S, def: v.InferOutput<S>, comment: string) => v.optional(v.pipe(schema, v.description(comment)), def as never);

const period = v.optional(v.nullable(int(RETENTION_MIN_MS, RETENTION_MAX_MS)), null);

export const CONFIG_ENTRIES = {
  dataDir: field(text(), './.murmur', 'Directory for the node key (node.key) and the update store (store/).'),
  networkId: field(v.pipe(v.string('lowercase letters, digits and dashes, 1..32 characters'), v.regex(NETWORK_ID_RE, 'lowercase letters, digits and dashes, 1..32 characters')), 'murmur-dev', 'Network id: peers only talk to peers with the same id. [a-z0-9-], 1..32 characters.'),
  listen: field(addrs(false), ['/ip4/0.0.0.0/tcp/4001'], 'libp2p listen multiaddrs. /ip4/127.0.0.1/tcp/0 picks a free loopback port.'),
  bootstrap: field(addrs(true), [], 'Peers to stay connected to: multiaddrs ending in /p2p/<peer id>. Redialed with backoff.'),
  mdns: field(bool(), false, 'Discover peers on the LAN with mDNS.'),
  maxConnections: field(int(1, 10_000), 128, 'Most simultaneous connections.'),
  syncIntervalMs: field(int(100, 3_600_000), 5_000, 'Re-sync with every connected peer this often (milliseconds).'),
  reconnectMaxBackoffMs: field(int(500, 3_600_000), 60_000, 'Longest wait between redials of an unreachable bootstrap peer (milliseconds, backoff from 500).'),
  apiHost: field(text(), '127.0.0.1', 'HTTP API bind address. Keep it on 127.0.0.1 unless a proxy guards it.'),
  apiPort: field(int(0, 65_535), 7070, 'HTTP API port (0 = any free port).'),
  storeSync: field(bool(), true, 'fsync every store batch: acknowledged updates survive power loss, not only crashes.'),
  logLevel: field(v.picklist(LOG_LEVELS, LOG_LEVELS.join(' | ')), 'info', LOG_LEVELS.join(' | ')),
  apiRateLimitPerS: field(int(1, 1_000_000), 200, 'HTTP requests per second allowed per client address.'),
  kernelBackend: field(v.picklist(BACKEND_CHOICES, BACKEND_CHOICES.join(' | ')), 'auto', 'Aggregation kernels: auto (WebGPU if an adapter exists, else CPU) | webgpu | cpu.'),
  gpuIdleMs: field(int(100, 3_600_000), 5_000, 'Destroy an idle WebGPU device after this many milliseconds.'),
  registryAuthorities: field(v.array(v.pipe(v.string('a 64-character lowercase hex Ed25519 public key'), v.regex(/^[0-9a-f]{64}$/, 'a 64-character lowercase hex Ed25519 public key')), 'a list of hex public keys'), [], 'Keys that may create, reassign and settle registry entries, and revoke and re-admit contributor keys (same list on every node).'),
  verifierNice: field(int(0, 19), 19, 'Priority (nice 0..19, Linux) of the signature-checking threads: 19 lets the event loop go first.'),
  apiAllowedHosts: field(v.array(v.pipe(v.string('a lowercase DNS name such as node1.example.org'), v.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a lowercase DNS name such as node1.example.org')), 'a list of host names'), [], 'Host names the API answers besides IP literals and localhost (for a proxy or a DNS name; guards against DNS rebinding).'),
  apiTokenFile: field(v.nullable(text()), null, 'File (mode 0600) with the bearer token API writes need; null: none needed. The CLI reads it with --token-file.'),
  trustStoreOnStart: field(bool(), false, 'Skip signature checks when replaying the store at start. Faster, but a tampered store then serves forged updates to peers.'),
  retention: field(
    v.strictObject({ attestationsMs: period, auditMs: period }, `{ "attestationsMs": null | ms, "auditMs": null | ms } with ms an integer in ${RETENTION_MIN_MS}..${RETENTION_MAX_MS}`),
    { attestationsMs: null, auditMs: null },
    'Retention (ms, or null = forever): older attestations (by observedAtMs) and audit events (by update time) leave the answers and memory; the updates stay stored and served.',
  ),
};

export const CONFIG_SCHEMA = v.strictObject(CONFIG_ENTRIES, `one of the known fields (${Object.keys(CONFIG_ENTRIES).join(', ')})`);
