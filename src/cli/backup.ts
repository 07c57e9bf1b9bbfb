import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Log } from '../../crdt/index.js';
import { ConfigError } from '../errors.js';
import { decodeBackup } from '../store/backup-stream.js';
import { UpdateStore, type ReplayReport } from '../store/update-store.js';
import { ApiCallError, getJson, type ApiTarget } from './api-client.js';

/** Records written to the backup's store per LevelDB batch. */
const BACKUP_BATCH_RECORDS = 2_048;
/** A backup stream that sends nothing for this long is abandoned. */
export const BACKUP_IDLE_TIMEOUT_MS = 30_000;

export interface BackupSummary {
  dir: string;
  records: number;
  updates: number;
  digest: string;
}

function refuseNonEmpty(dir: string, flag: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new ConfigError(flag, `an empty or new directory (${dir} is not empty)`);
}

/** Replays a store with every signature checked: what a backup holds, and whether all of it is sound. */
async function check(storeDir: string): Promise<{ log: Log; report: ReplayReport }> {
  const store = new UpdateStore(storeDir, { sync: false });
  await store.open();
  try {
    const log = new Log();
    return { log, report: await store.replay(log, { verify: 'inline' }) };
  } finally {
    await store.close();
  }
}

/** Copies (key, value) records into a new store at `storeDir`, fsynced batch by batch; returns the count. */
async function writeRecords(storeDir: string, records: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<number> {
  const store = new UpdateStore(storeDir);
  await store.open();
  let n = 0;
  try {
    let batch: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = [];
    for await (const [key, value] of records) {
      batch.push({ type: 'put', key: new Uint8Array(key), value: new Uint8Array(value) }); // copies: the stream's buffer is not kept
      n++;
      if (batch.length === BACKUP_BATCH_RECORDS) {
        await store.level.batch(batch, { sync: true });
        batch = [];
      }
    }
    if (batch.length > 0) await store.level.batch(batch, { sync: true });
  } finally {
    await store.close();
  }
  return n;
}

/** Reads a response body, failing when no chunk comes for BACKUP_IDLE_TIMEOUT_MS. */
async function* idleGuarded(body: ReadableStream<Uint8Array>, abort: AbortController): AsyncGenerator<Uint8Array> {
  let timer = setTimeout(() => abort.abort(), BACKUP_IDLE_TIMEOUT_MS);
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), BACKUP_IDLE_TIMEOUT_MS);
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `murmur backup <dir>`: a consistent copy of a running node's store (one LevelDB snapshot, streamed
 * by GET /v1/backup), written to <dir>/store, then replayed with every signature checked;
 * <dir>/backup.json records the count and the digest a restored node will have.
 */
export async function backup(api: ApiTarget, dir: string): Promise<BackupSummary> {
  refuseNonEmpty(dir, '<dir>');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const abort = new AbortController();
  const res = await fetch(new URL('/v1/backup', api.url), { headers: api.token !== undefined ? { authorization: `Bearer ${api.token}` } : {}, signal: abort.signal }).catch((err: Error) => {
    throw new Error(`cannot reach the node API at ${api.url}: ${err.message}`);
  });
  if (!res.ok || res.body === null) throw new ApiCallError(res.status, await res.text().then((t) => JSON.parse(t) as unknown).catch(() => null));
  const records = await writeRecords(join(dir, 'store'), decodeBackup(idleGuarded(res.body, abort)));
  const { log, report } = await check(join(dir, 'store'));
  if (report.corrupt.length > 0 || report.engineError !== null) throw new Error(`the backup in ${dir} does not replay cleanly: ${JSON.stringify(report.corrupt.slice(0, 3))}`);
  const summary: BackupSummary = { dir, records, updates: log.size, digest: log.digest() };
  writeFileSync(join(dir, 'backup.json'), JSON.stringify({ ...summary, takenAtMs: Date.now(), from: api.url }, null, 2) + '\n', { mode: 0o600 });
  return summary;
}

/**
 * `murmur restore <backup dir> --data-dir D`: checks every record of the backup (id, signature,
 * validity) and writes them into D/store, which must not exist yet (a node that is not running).
 * The restored node starts with the backup's digest.
 */
export async function restore(from: string, dataDir: string): Promise<BackupSummary> {
  const source = join(from, 'store');
  if (!existsSync(source)) throw new ConfigError('<backup dir>', `a directory written by murmur backup (${source} does not exist)`);
  const target = join(dataDir, 'store');
  refuseNonEmpty(target, '--data-dir');
  const { log, report } = await check(source);
  if (report.corrupt.length > 0 || report.engineError !== null) throw new Error(`the backup does not replay cleanly, nothing restored: ${JSON.stringify(report.corrupt.slice(0, 3))}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = new UpdateStore(source, { sync: false });
  await store.open();
  let records: number;
  try {
    records = await writeRecords(target, store.level.iterator());
  } finally {
    await store.close();
  }
  return { dir: dataDir, records, updates: log.size, digest: log.digest() };
}

const CSV_COLUMNS = ['feed', 'observedAtMs', 'value', 'confidence', 'author', 'seq', 'updateId', 'index', 'sources'] as const;

function csvField(v: unknown): string {
  const s = Array.isArray(v) ? v.join(';') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * `murmur export --kind attestation|audit --format ndjson|csv [--feed F]`: every attestation (of
 * one feed, or of all feeds) or audit event the node counts, page by page through the API, written
 * to `out` as NDJSON (one API object a line) or CSV (attestations; a header line first).
 */
export async function exportOps(api: ApiTarget, kind: string, format: string, feed: string | undefined, out: (line: string) => void): Promise<number> {
  if (kind !== 'attestation' && kind !== 'audit') throw new ConfigError('--kind', 'attestation or audit', kind);
  if (format !== 'ndjson' && format !== 'csv') throw new ConfigError('--format', 'ndjson or csv', format);
  if (kind === 'audit' && format === 'csv') throw new ConfigError('--format', 'ndjson for audit events (csv is for attestations)', format);
  const LIMIT = 1_000;
  let n = 0;
  const emit = (o: Record<string, unknown>): void => {
    out(format === 'ndjson' ? JSON.stringify(o) : CSV_COLUMNS.map((c) => csvField(o[c])).join(','));
    n++;
  };
  if (format === 'csv') out(CSV_COLUMNS.join(','));
  if (kind === 'audit') {
    for (let offset = 0; ; offset += LIMIT) {
      const page = (await getJson(api, `/v1/audit?offset=${offset}&limit=${LIMIT}`)) as { events: Record<string, unknown>[] };
      page.events.forEach(emit);
      if (page.events.length < LIMIT) return n;
    }
  }
  const feeds: string[] = [];
  if (feed !== undefined) feeds.push(feed);
  else {
    for (let offset = 0; ; offset += LIMIT) {
      const page = (await getJson(api, `/v1/feeds?offset=${offset}&limit=${LIMIT}`)) as { feeds: string[] };
      feeds.push(...page.feeds);
      if (page.feeds.length < LIMIT) break;
    }
  }
  for (const f of feeds) {
    for (let offset = 0; ; offset += LIMIT) {
      const page = (await getJson(api, `/v1/attestations?feed=${encodeURIComponent(f)}&offset=${offset}&limit=${LIMIT}`)) as { attestations: Record<string, unknown>[] };
      page.attestations.forEach(emit);
      if (page.attestations.length < LIMIT) break;
    }
  }
  return n;
}
