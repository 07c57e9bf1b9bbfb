import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Author, Log, toHex } from '../../crdt/index.js';
import { DEFAULT_CONFIG, configTemplate, readConfigFile, resolveConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { generateKeyFile, generateTokenFile, loadKeyFile, loadTokenFile } from '../keys.js';
import { MurmurNode } from '../node.js';
import { exitOnSignals } from '../shutdown.js';
import { UpdateStore } from '../store/update-store.js';
import { ApiCallError, getJson, resend, type ApiTarget } from './api-client.js';
import { attest } from './attest.js';
import { registrySet } from './registry.js';
import { readValues, submitDelta } from './delta.js';
import { coordinateRound, joinRound, secaggArgs } from './secagg.js';
import { runVenue, venueArgs } from './venue.js';
import { KernelError } from '../../kernels/index.js';
import { readmit, revoke, rotate, succession } from './identity.js';
import { USAGE, commandUsage } from './usage.js';
import { backup, exportOps, restore } from './backup.js';


const DEFAULT_API = `http://127.0.0.1:${DEFAULT_CONFIG.apiPort}`;
/** Name of the API token file `murmur init` writes beside the config. */
const TOKEN_FILE_NAME = 'murmur.api-token';
/** Flags every command that talks to a node takes. */
const API_FLAGS = { api: { type: 'string' }, 'token-file': { type: 'string' } } as const;

/**
 * The node's API from --api and the token from --token-file (else $MURMUR_API_TOKEN_FILE, else
 * ./murmur.api-token when it exists, as `murmur init` writes it).
 */
function apiTarget(v: { api?: string | undefined; 'token-file'?: string | undefined }): ApiTarget {
  const file = v['token-file'] ?? process.env.MURMUR_API_TOKEN_FILE ?? (existsSync(TOKEN_FILE_NAME) ? TOKEN_FILE_NAME : undefined);
  return { url: v.api ?? DEFAULT_API, ...(file !== undefined ? { token: loadTokenFile(file, '--token-file') } : {}) };
}

function print(v: unknown): void {
  process.stdout.write((typeof v === 'string' ? v : JSON.stringify(v, null, 2)) + '\n');
}

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      'network-id': { type: 'string' },
      listen: { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      'api-host': { type: 'string' },
      'api-port': { type: 'string' },
      mdns: { type: 'boolean' },
      'kernel-backend': { type: 'string' },
    },
  });
  const partial: Record<string, unknown> = values.config !== undefined ? readConfigFile(values.config) : {};
  if (values['data-dir'] !== undefined) partial.dataDir = values['data-dir'];
  if (values['network-id'] !== undefined) partial.networkId = values['network-id'];
  if (values.listen !== undefined) partial.listen = values.listen;
  if (values.bootstrap !== undefined) partial.bootstrap = values.bootstrap;
  if (values['api-host'] !== undefined) partial.apiHost = values['api-host'];
  if (values['api-port'] !== undefined) {
    if (!/^\d+$/.test(values['api-port'])) throw new ConfigError('--api-port', 'a port number', values['api-port']);
    partial.apiPort = Number(values['api-port']);
  }
  if (values.mdns === true) partial.mdns = true;
  if (values['kernel-backend'] !== undefined) partial.kernelBackend = values['kernel-backend'];
  const config = resolveConfig(partial);
  const node = await MurmurNode.start({ config });
  print(`murmur peer ${node.peerId} on network ${config.networkId}`);
  for (const a of node.network.multiaddrs()) print(`  listening  ${a}`);
  print(`  api        ${node.apiUrl}`);
  print(`  data       ${config.dataDir} (${node.log.size} updates, digest ${node.log.digest()})`);
  exitOnSignals(node);
}

async function verifyStore(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { 'data-dir': { type: 'string' } } });
  const dir = join(values['data-dir'] ?? DEFAULT_CONFIG.dataDir, 'store');
  if (!existsSync(dir)) throw new ConfigError('--data-dir', `a data dir with a store/ folder (${dir} does not exist)`);
  const store = new UpdateStore(dir);
  await store.open();
  const log = new Log();
  const report = await store.replay(log, { verify: 'inline' });
  await store.close();
  print({ records: report.records, applied: report.applied, corrupt: report.corrupt, engineError: report.engineError, updates: log.size, pending: log.pendingCount, digest: log.digest() });
  return report.corrupt.length === 0 && report.engineError === null ? 0 : 1;
}

/** `murmur aggregate` flags to an API URL and path (validation of values is the node's). */
function aggregatePath(argv: string[]): [ApiTarget, string] {
  const names = ['feed', 'from', 'to', 'stream', 'round', 'rule', 'trim', 'f', 'clip'] as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...API_FLAGS, ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) },
  });
  const v = values as Record<string, string | undefined>;
  if ((v.feed === undefined) === (v.stream === undefined)) throw new ConfigError('--feed/--stream', 'exactly one of --feed F or --stream S (with --round N)');
  if (v.stream !== undefined && v.round === undefined) throw new ConfigError('--round', 'the round number of the stream');
  const q = new URLSearchParams();
  for (const n of names) if (v[n] !== undefined) q.set(n, v[n]);
  return [apiTarget(v), `/v1/aggregates/${v.feed !== undefined ? 'feed' : 'delta'}?${q}`];
}

/** backup <dir>, restore <backup dir> --data-dir D, export --kind K --format F [--feed F]. */
async function backupCommand(cmd: 'backup' | 'restore' | 'export', argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: cmd !== 'export',
    options: { ...API_FLAGS, 'data-dir': { type: 'string' }, kind: { type: 'string' }, format: { type: 'string' }, feed: { type: 'string' } },
  });
  if (cmd === 'export') {
    await exportOps(apiTarget(values), values.kind ?? 'attestation', values.format ?? 'ndjson', values.feed, (line) => process.stdout.write(line + '\n'));
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined || positionals.length > 1) throw new ConfigError('<dir>', cmd === 'backup' ? 'one directory to write the backup to' : 'the one directory murmur backup wrote');
  if (cmd === 'backup') print(await backup(apiTarget(values), dir));
  else print(await restore(dir, values['data-dir'] ?? DEFAULT_CONFIG.dataDir));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    const help = commandUsage(cmd);
    if (help !== null) {
      process.stdout.write(help);
      return 0;
    }
  }
  switch (cmd) {
    case 'peer-id': {
      const { values } = parseArgs({ args: rest, strict: true, options: { key: { type: 'string' } } });
      const { generateKeyPairFromSeed } = await import('@libp2p/crypto/keys');
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id');
      print(peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', loadKeyFile(values.key ?? join(DEFAULT_CONFIG.dataDir, 'node.key')).seed)).toString());
      return 0;
    }
    case 'keygen': {
      const { values } = parseArgs({ args: rest, strict: true, options: { out: { type: 'string' } } });
      const signer = generateKeyFile(values.out ?? 'murmur.key');
      print(toHex(signer.publicKey));
      return 0;
    }
    case 'init': {
      const { values } = parseArgs({ args: rest, strict: true, options: { config: { type: 'string' } } });
      const path = values.config ?? 'murmur.config.json';
      if (existsSync(path)) throw new ConfigError('--config', `a path where no file exists yet (${path} exists)`);
      const tokenFile = join(dirname(path), TOKEN_FILE_NAME);
      if (!existsSync(tokenFile)) generateTokenFile(tokenFile); // an existing token (another node's config) is kept
      writeFileSync(path, configTemplate({ apiTokenFile: tokenFile }), { flag: 'wx' });
      print(`wrote ${path} and the API token ${tokenFile} (mode 0600)`);
      return 0;
    }
    case 'start':
      await start(rest);
      return -1; // keeps running
    case 'status':
    case 'peers': {
      const { values } = parseArgs({ args: rest, strict: true, options: API_FLAGS });
      print(await getJson(apiTarget(values), cmd === 'status' ? '/v1/status' : '/v1/peers'));
      return 0;
    }
    case 'attest': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          key: { type: 'string' },
          ...API_FLAGS,
          feed: { type: 'string', multiple: true },
          value: { type: 'string', multiple: true },
          confidence: { type: 'string', multiple: true },
          source: { type: 'string', multiple: true },
        },
      });
      if (values.key === undefined) throw new ConfigError('--key', 'the contributor key file (murmur keygen --out contributor.key)');
      print(
        await attest({
          key: values.key,
          api: apiTarget(values),
          feeds: values.feed ?? [],
          values: values.value ?? [],
          confidences: values.confidence ?? [],
          sources: values.source ?? [],
        }),
      );
      return 0;
    }
    case 'resend': {
      const { values } = parseArgs({ args: rest, strict: true, options: { key: { type: 'string' }, ...API_FLAGS } });
      if (values.key === undefined) throw new ConfigError('--key', 'the contributor key file whose journal to resend');
      print(await resend(apiTarget(values), values.key, new Author(loadKeyFile(values.key).signer)));
      return 0;
    }
    case 'conformance': {
      const { values } = parseArgs({ args: rest, strict: true, options: { ...API_FLAGS, pair: { type: 'string' }, session: { type: 'string' }, venue: { type: 'string' } } });
      if (values.pair === undefined) throw new ConfigError('--pair', 'the pair (murmur help conformance)');
      const session = values.session ?? '1';
      if (!/^\d+$/.test(session)) throw new ConfigError('--session', 'an integer >= 0', session);
      const body = (await getJson(apiTarget(values), `/v1/arbsphere?pair=${encodeURIComponent(values.pair)}&session=${session}`)) as { conformance: { venue: string; pass: boolean }[] };
      const judged = body.conformance.filter((c) => values.venue === undefined || c.venue === values.venue);
      print(judged);
      return judged.length > 0 && judged.every((c) => c.pass) ? 0 : 1;
    }
    case 'venue': {
      const r = await runVenue(venueArgs(rest, apiTarget));
      print(r);
      return r.status === 'converged' ? 0 : 1;
    }
    case 'replay': {
      const { values } = parseArgs({ args: rest, strict: true, options: { 'data-dir': { type: 'string' }, config: { type: 'string' } } });
      const config = resolveConfig(values.config !== undefined ? readConfigFile(values.config) : {});
      const dataDir = values['data-dir'] ?? config.dataDir;
      if (!existsSync(join(dataDir, 'store'))) throw new ConfigError('--data-dir', `a data dir with a store/ folder (${join(dataDir, 'store')} does not exist)`);
      const { replayStore } = await import('../arbsphere/replay.js');
      const r = await replayStore(dataDir, config.registryAuthorities);
      print({ updates: r.updates, corrupt: r.corrupt, auditEvents: r.auditEvents, digest: r.digest, sessions: r.sessions.map((s) => ({ pair: s.pair, session: s.session, status: s.status, iterations: s.trajectory.length, digest: s.digest, ignored: s.ignored.length })) });
      return r.corrupt === 0 ? 0 : 1;
    }
    case 'verify-store':
      return verifyStore(rest);
    case 'registry': {
      const { values } = parseArgs({ args: rest, strict: true, options: API_FLAGS });
      print(await getJson(apiTarget(values), '/v1/registry'));
      return 0;
    }
    case 'registry-set': {
      const opts = ['key', 'api', 'token-file', 'kind', 'id', 'version', 'body', 'owner'] as const;
      const { values } = parseArgs({ args: rest, strict: true, options: Object.fromEntries(opts.map((o) => [o, { type: 'string' as const }])) });
      const v = values as Record<string, string | undefined>;
      for (const req of ['key', 'kind', 'id', 'version', 'body'] as const) {
        if (v[req] === undefined) throw new ConfigError(`--${req}`, 'required (murmur help)');
      }
      print(await registrySet({ key: v.key!, api: apiTarget(v), kind: v.kind!, id: v.id!, version: v.version!, body: v.body!, ...(v.owner !== undefined ? { owner: v.owner } : {}) }));
      return 0;
    }
    case 'delta': {
      const opts = ['key', 'api', 'token-file', 'stream', 'round', 'values-json', 'values-f32', 'clip', 'noise-multiplier', 'weight', 'epsilon', 'delta'] as const;
      const { values } = parseArgs({ args: rest, strict: true, options: Object.fromEntries(opts.map((o) => [o, { type: 'string' as const }])) });
      const v = values as Record<string, string | undefined>;
      for (const req of ['key', 'stream', 'round', 'clip', 'noise-multiplier'] as const) {
        if (v[req] === undefined) throw new ConfigError(`--${req}`, 'required (murmur help)');
      }
      const number = (name: string, def?: number): number => {
        const s = v[name];
        const n = s === undefined ? def : Number(s);
        if (n === undefined || !Number.isFinite(n) || s?.trim() === '') throw new ConfigError(`--${name}`, 'a number', s);
        return n;
      };
      const round = number('round');
      const weight = number('weight', 1);
      if (!Number.isSafeInteger(round) || round < 0) throw new ConfigError('--round', 'an integer >= 0', v.round);
      if (!Number.isSafeInteger(weight) || weight < 1) throw new ConfigError('--weight', 'an integer >= 1', v.weight);
      print(
        await submitDelta({
          key: v.key!,
          api: apiTarget(v),
          stream: v.stream!,
          round,
          values: readValues(v['values-json'], v['values-f32']),
          privacy: { clipNorm: number('clip'), noiseMultiplier: number('noise-multiplier') },
          sampleWeight: weight,
          epsilon: number('epsilon', 10),
          delta: number('delta', 1e-6),
        }),
      );
      return 0;
    }
    case 'rotate':
    case 'revoke':
    case 'succession-proof':
    case 'readmit': {
      const names = ['key', 'new-key', 'target', 'cutoff', 'reason', 'old', 'new', 'proof'] as const;
      const { values } = parseArgs({ args: rest, strict: true, options: { ...API_FLAGS, ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) } });
      const v = values as Record<string, string | undefined>;
      const need = (n: string): string => v[n] ?? (() => { throw new ConfigError(`--${n}`, `required (murmur help ${cmd})`); })();
      if (cmd === 'rotate') print(await rotate(apiTarget(v), need('key'), need('new-key')));
      else if (cmd === 'revoke') print(await revoke(apiTarget(v), need('key'), { ...(v.target !== undefined ? { target: v.target } : {}), ...(v.cutoff !== undefined ? { cutoff: v.cutoff } : {}), reason: v.reason ?? '' }));
      else if (cmd === 'succession-proof') print(succession(need('key'), need('old')));
      else print(await readmit(apiTarget(v), need('key'), need('old'), need('new'), need('proof')));
      return 0;
    }
    case 'secagg-join': {
      const { v, config, number } = secaggArgs(rest, false);
      const args = { key: v.key!, api: apiTarget(v), stream: v.stream!, round: number('round'), config, timeoutMs: number('timeout-ms', 120_000) };
      const budget = { epsilon: Number(v.epsilon ?? 10), delta: Number(v.delta ?? 1e-6) };
      if (!(budget.epsilon > 0) || !(budget.delta > 0 && budget.delta < 1)) throw new ConfigError('--epsilon/--delta', 'a budget epsilon > 0 at delta in (0, 1)', `${v.epsilon}/${v.delta}`);
      let out;
      try {
        out = await joinRound({ ...args, values: readValues(v['values-json'], v['values-f32']), shareWaitMs: number('share-wait-ms', 10_000), budget });
      } catch (err) {
        if (err instanceof KernelError) throw new ConfigError(err.field, err.message);
        throw err;
      }
      print(out);
      return out.done ? 0 : 1;
    }
    case 'secagg-coordinate': {
      const { v, config, number } = secaggArgs(rest, true);
      const args = { key: v.key!, api: apiTarget(v), stream: v.stream!, round: number('round'), config, timeoutMs: number('timeout-ms', 180_000) };
      const out = (await coordinateRound({ ...args, expectedMembers: number('expected-members'), keysWaitMs: number('keys-wait-ms', 30_000), maskWaitMs: number('mask-wait-ms', 30_000) })) as { status: string };
      print(out);
      return out.status === 'complete' ? 0 : 1;
    }
    case 'aggregate':
      print(await getJson(...aggregatePath(rest)));
      return 0;
    case 'backup':
    case 'restore':
    case 'export':
      return backupCommand(cmd, rest);
    default:
      if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
        const help = rest[0] !== undefined ? commandUsage(rest[0]) : null;
        process.stdout.write(help ?? USAGE);
        return 0;
      }
      process.stderr.write(`unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`murmur: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof ApiCallError) {
      process.stderr.write(`murmur: the node refused: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`murmur: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
