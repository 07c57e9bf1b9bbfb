import { MAX_UPDATE_BYTES } from '../../crdt/index.js';
import type { UpdateStore } from './update-store.js';

/**
 * The backup stream (GET /v1/backup, `murmur backup`): a point-in-time copy of a store.
 *
 *   "murmur-backup-v1\n"                        17 bytes
 *   record*: u32be n (1..MAX_UPDATE_BYTES) || key (36 bytes: height u32be || id) || value (n bytes)
 *   trailer: u32be 0xffffffff || u64be count of records
 *
 * The trailer makes truncation detectable; each record is checked again on restore (id, signature,
 * validity), so the stream needs no MAC.
 */
export const BACKUP_MAGIC = Buffer.from('murmur-backup-v1\n', 'latin1');
export const BACKUP_KEY_BYTES = 36;
/** Records are gathered into chunks of about this size before they are written (one write per record would be 1M writes for 1M updates). */
const BACKUP_CHUNK_BYTES = 64 * 1024;
const TRAILER_MARK = 0xffffffff;

export class BackupFormatError extends Error {
  constructor(message: string) {
    super(`backup stream: ${message}`);
    this.name = 'BackupFormatError';
  }
}

/** Encodes the store's records as chunks of the backup stream (about BACKUP_CHUNK_BYTES each), from one LevelDB snapshot. */
export async function* encodeBackup(store: UpdateStore): AsyncGenerator<Uint8Array> {
  yield BACKUP_MAGIC;
  let count = 0n;
  let parts: Uint8Array[] = [];
  let size = 0;
  for await (const [key, value] of store.level.iterator()) {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(value.length);
    parts.push(head, key, value);
    size += 4 + key.length + value.length;
    count++;
    if (size >= BACKUP_CHUNK_BYTES) {
      yield Buffer.concat(parts);
      parts = [];
      size = 0;
    }
  }
  const trailer = Buffer.alloc(12);
  trailer.writeUInt32BE(TRAILER_MARK);
  trailer.writeBigUInt64BE(count, 4);
  parts.push(trailer);
  yield Buffer.concat(parts);
}

/** Decodes a backup stream into (key, value) records; throws BackupFormatError on a bad or truncated stream. */
export async function* decodeBackup(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<[Uint8Array, Uint8Array]> {
  let buf = Buffer.alloc(0);
  let magic = false;
  let count = 0n;
  for await (const chunk of chunks) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    if (!magic) {
      if (buf.length < BACKUP_MAGIC.length) continue;
      if (!buf.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) throw new BackupFormatError('not a murmur backup (bad magic)');
      buf = buf.subarray(BACKUP_MAGIC.length);
      magic = true;
    }
    while (buf.length >= 4) {
      const n = buf.readUInt32BE(0);
      if (n === TRAILER_MARK) {
        if (buf.length < 12) break;
        const declared = buf.readBigUInt64BE(4);
        if (declared !== count) throw new BackupFormatError(`the trailer says ${declared} records, the stream had ${count}`);
        if (buf.length > 12) throw new BackupFormatError('bytes after the trailer');
        return;
      }
      if (n === 0 || n > MAX_UPDATE_BYTES) throw new BackupFormatError(`a record of ${n} bytes`);
      if (buf.length < 4 + BACKUP_KEY_BYTES + n) break;
      yield [buf.subarray(4, 4 + BACKUP_KEY_BYTES), buf.subarray(4 + BACKUP_KEY_BYTES, 4 + BACKUP_KEY_BYTES + n)];
      count++;
      buf = buf.subarray(4 + BACKUP_KEY_BYTES + n);
    }
  }
  throw new BackupFormatError(magic ? 'truncated: no trailer' : 'empty or truncated before the header');
}
