import { readFileSync } from 'node:fs';
import { multiaddr } from '@multiformats/multiaddr';
import { NETWORK_ID_RE } from '../net/index.js';
import { ConfigError } from './errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '../kernels/backend.js';

export interface NodeConfig {
  /** Where the key and the store live. */
  dataDir: string;
  networkId: string;
  /** libp2p listen multiaddrs. */
  listen: string[];
  /** Bootstrap peers (multiaddrs with /p2p/<peer id>). */
  bootstrap: string[];
  mdns: boolean;
  maxConnections: number;
  syncIntervalMs: number;
  /** Longest wait between redials of an unreachable bootstrap peer (exponential backoff from 500 ms). */
  reconnectMaxBackoffMs: number;
  /** HTTP API bind address; port 0 picks a free port. */
  apiHost: string;
  apiPort: number;
  /** fsync each store batch. */
  storeSync: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Requests per second allowed per client IP (burst: the same number). */
  apiRateLimitPerS: number;
  /** Where aggregation kernels run: auto (WebGPU, else CPU), webgpu (same, warns on fallback) or cpu. */
  kernelBackend: BackendChoice;
  /** Destroy an idle WebGPU device after this long (a live Dawn device can poll a core). */
  gpuIdleMs: number;
  /** Public keys (hex) that may create, reassign and settle registry entries. Same on every node of a network. */
  registryAuthorities: string[];
  /** Scheduling priority (nice, 0..19) of the signature-checking worker threads (Linux). */
  verifierNice: number;
  /** Host names the API answers besides IP literals and localhost (Host and Origin checks against DNS rebinding). */
  apiAllowedHosts: string[];
  /** File (mode 0600) holding the bearer token that API writes need; null: writes need none. */
  apiTokenFile: string | null;
  /** Skip signature checks when replaying the store at start (faster; a tampered store then injects forged updates). */
  trustStoreOnStart: boolean;
  /** How long attestations and audit events stay in the node's answers (docs/STORAGE.md, "Retention"); null: forever. */
  retention: Retention;
}

/** Retention periods in milliseconds (null: kept forever). */
export interface Retention {
  /** Attestations observed longer ago than this are compacted out of the derived state. */
  attestationsMs: number | null;
  /** Audit events of updates timestamped longer ago than this are compacted out. */
  auditMs: number | null;
}

/** The shortest retention period: one minute (sweeps run every RETENTION_SWEEP_MS). */
export const RETENTION_MIN_MS = 60_000;
/** The longest: about ten years. */
export const RETENTION_MAX_MS = 10 * 365 * 86_400_000;

export const DEFAULT_CONFIG: NodeConfig = {
  dataDir: './.murmur',
  networkId: 'murmur-dev',
  listen: ['/ip4/0.0.0.0/tcp/4001'],
  bootstrap: [],
  mdns: false,
  maxConnections: 128,
  syncIntervalMs: 5_000,
  reconnectMaxBackoffMs: 60_000,
  apiHost: '127.0.0.1',
  apiPort: 7070,
  storeSync: true,
  logLevel: 'info',
  apiRateLimitPerS: 200,
  kernelBackend: 'auto',
  gpuIdleMs: 5_000,
  registryAuthorities: [],
  verifierNice: 19,
  apiAllowedHosts: [],
  apiTokenFile: null,
  trustStoreOnStart: false,
  retention: { attestationsMs: null, auditMs: null },
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(field, 'a non-empty string', v);
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(field, `an integer in ${min}..${max}`, v);
  return v;
}

function addrs(v: unknown, field: string, needPeerId: boolean): string[] {
  if (!Array.isArray(v)) throw new ConfigError(field, 'a list of multiaddrs', v);
  return v.map((a, i) => {
    try {
      const m = multiaddr(str(a, `${field}[${i}]`));
      if (needPeerId && m.getPeerId() === null) throw new Error('no /p2p/<peer id>');
      return m.toString();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`${field}[${i}]`, needPeerId ? 'a multiaddr ending in /p2p/<peer id>' : 'a multiaddr such as /ip4/0.0.0.0/tcp/4001', a);
    }
  });
}

function hostNames(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new ConfigError(field, 'a list of host names', v);
  return v.map((h, i) => {
    if (typeof h !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h)) {
      throw new ConfigError(`${field}[${i}]`, 'a lowercase DNS name such as node1.example.org', h);
    }
    return h;
  });
}

function keys(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new ConfigError(field, 'a list of hex public keys', v);
  return v.map((k, i) => {
    if (typeof k !== 'string' || !/^[0-9a-f]{64}$/.test(k)) throw new ConfigError(`${field}[${i}]`, 'a 64-character lowercase hex Ed25519 public key', k);
    return k;
  });
}

function retention(v: unknown): Retention {
  const expected = `{ "attestationsMs": null | ms, "auditMs": null | ms } with ms an integer in ${RETENTION_MIN_MS}..${RETENTION_MAX_MS}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('retention', expected, v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'attestationsMs' && k !== 'auditMs') throw new ConfigError(`retention.${k}`, 'attestationsMs or auditMs', o[k]);
  const period = (k: 'attestationsMs' | 'auditMs'): number | null => (o[k] === undefined || o[k] === null ? null : int(o[k], `retention.${k}`, RETENTION_MIN_MS, RETENTION_MAX_MS));
  return { attestationsMs: period('attestationsMs'), auditMs: period('auditMs') };
}

/** Validates a partial config over the defaults; throws ConfigError naming the first bad field. */
export function resolveConfig(partial: Record<string, unknown>): NodeConfig {
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const k of Object.keys(partial)) if (!known.has(k)) throw new ConfigError(k, `one of the known fields (${[...known].join(', ')})`);
  const c = { ...DEFAULT_CONFIG, ...partial } as Record<string, unknown>;
  const networkId = str(c.networkId, 'networkId');
  if (!NETWORK_ID_RE.test(networkId)) throw new ConfigError('networkId', 'lowercase letters, digits and dashes, 1..32 characters', networkId);
  if (typeof c.mdns !== 'boolean') throw new ConfigError('mdns', 'true or false', c.mdns);
  if (typeof c.trustStoreOnStart !== 'boolean') throw new ConfigError('trustStoreOnStart', 'true or false', c.trustStoreOnStart);
  if (typeof c.storeSync !== 'boolean') throw new ConfigError('storeSync', 'true or false', c.storeSync);
  if (typeof c.logLevel !== 'string' || !LOG_LEVELS.includes(c.logLevel)) throw new ConfigError('logLevel', LOG_LEVELS.join(' | '), c.logLevel);
  if (!BACKEND_CHOICES.includes(c.kernelBackend as BackendChoice)) throw new ConfigError('kernelBackend', BACKEND_CHOICES.join(' | '), c.kernelBackend);
  return {
    dataDir: str(c.dataDir, 'dataDir'),
    networkId,
    listen: addrs(c.listen, 'listen', false),
    bootstrap: addrs(c.bootstrap, 'bootstrap', true),
    mdns: c.mdns,
    maxConnections: int(c.maxConnections, 'maxConnections', 1, 10_000),
    syncIntervalMs: int(c.syncIntervalMs, 'syncIntervalMs', 100, 3_600_000),
    reconnectMaxBackoffMs: int(c.reconnectMaxBackoffMs, 'reconnectMaxBackoffMs', 500, 3_600_000),
    apiHost: str(c.apiHost, 'apiHost'),
    apiPort: int(c.apiPort, 'apiPort', 0, 65_535),
    storeSync: c.storeSync,
    logLevel: c.logLevel as NodeConfig['logLevel'],
    apiRateLimitPerS: int(c.apiRateLimitPerS, 'apiRateLimitPerS', 1, 1_000_000),
    kernelBackend: c.kernelBackend as BackendChoice,
    gpuIdleMs: int(c.gpuIdleMs, 'gpuIdleMs', 100, 3_600_000),
    registryAuthorities: keys(c.registryAuthorities, 'registryAuthorities'),
    verifierNice: int(c.verifierNice, 'verifierNice', 0, 19),
    apiAllowedHosts: hostNames(c.apiAllowedHosts, 'apiAllowedHosts'),
    apiTokenFile: c.apiTokenFile === null ? null : str(c.apiTokenFile, 'apiTokenFile'),
    trustStoreOnStart: c.trustStoreOnStart,
    retention: retention(c.retention),
  };
}

/** Reads a config file: JSON with // comments allowed on their own lines (what `murmur init` writes). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `a readable config file (${(err as Error).message})`);
  }
  const json = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('config', `a JSON object (${(err as Error).message})`);
  }
}

/** The commented config file `murmur init` writes (`overrides`: values other than the defaults, such as the token file it wrote). */
export function configTemplate(overrides: Partial<NodeConfig> = {}): string {
  const d: NodeConfig = { ...DEFAULT_CONFIG, ...overrides };
  const line = (comment: string, key: keyof NodeConfig, last = false): string =>
    `  // ${comment}\n  ${JSON.stringify(key)}: ${JSON.stringify(d[key])}${last ? '' : ','}\n`;
  return (
    '{\n' +
    line('Directory for the node key (node.key) and the update store (store/).', 'dataDir') +
    line('Network id: peers only talk to peers with the same id. [a-z0-9-], 1..32 characters.', 'networkId') +
    line('libp2p listen multiaddrs. /ip4/127.0.0.1/tcp/0 picks a free loopback port.', 'listen') +
    line('Peers to stay connected to: multiaddrs ending in /p2p/<peer id>. Redialed with backoff.', 'bootstrap') +
    line('Discover peers on the LAN with mDNS.', 'mdns') +
    line('Most simultaneous connections.', 'maxConnections') +
    line('Re-sync with every connected peer this often (milliseconds).', 'syncIntervalMs') +
    line('Longest wait between redials of an unreachable bootstrap peer (milliseconds, backoff from 500).', 'reconnectMaxBackoffMs') +
    line('HTTP API bind address. Keep it on 127.0.0.1 unless a proxy guards it.', 'apiHost') +
    line('HTTP API port (0 = any free port).', 'apiPort') +
    line('fsync every store batch: acknowledged updates survive power loss, not only crashes.', 'storeSync') +
    line('fatal | error | warn | info | debug | trace | silent', 'logLevel') +
    line('HTTP requests per second allowed per client address.', 'apiRateLimitPerS') +
    line('Aggregation kernels: auto (WebGPU if an adapter exists, else CPU) | webgpu | cpu.', 'kernelBackend') +
    line('Destroy an idle WebGPU device after this many milliseconds.', 'gpuIdleMs') +
    line('Keys that may create, reassign and settle registry entries (same list on every node).', 'registryAuthorities') +
    line('Priority (nice 0..19, Linux) of the signature-checking threads: 19 lets the event loop go first.', 'verifierNice') +
    line('Host names the API answers besides IP literals and localhost (for a proxy or a DNS name; guards against DNS rebinding).', 'apiAllowedHosts') +
    line('File (mode 0600) with the bearer token API writes need; null: none needed. The CLI reads it with --token-file.', 'apiTokenFile') +
    line('Skip signature checks when replaying the store at start. Faster, but a tampered store then serves forged updates to peers.', 'trustStoreOnStart') +
    line('Retention (ms, or null = forever): older attestations (by observedAtMs) and audit events (by update time) leave the answers and memory; the updates stay stored and served.', 'retention', true) +
    '}\n'
  );
}
