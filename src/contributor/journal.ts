import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readStateFile, writeFileAtomic } from './atomic-file.js';
import { decodeUpdate, toHex, type Author } from '../../crdt/index.js';
import { ConfigError } from '../errors.js';

/** Signed updates the journal holds unacknowledged at most; past this a new signature is refused until they are acknowledged. */
export const JOURNAL_MAX_UNACKED = 64;
/** Largest journal file read (64 unacknowledged updates of at most 1 MiB as hex, and slack). */
export const JOURNAL_MAX_BYTES = 160 * 1024 * 1024;

export interface JournalEntry {
  readonly seq: number;
  readonly id: string;
  /** The signed update's wire bytes, hex: a retry resends exactly these. */
  readonly hex: string;
  /** The author's previous own update when this one was signed (for a rollback if it is rejected). */
  readonly prevId: string | null;
}

interface JournalFile {
  version: 1;
  author: string;
  /** The author's highest seq signed with this key (acknowledged or not), and its id. */
  lastSeq: number;
  lastId: string | null;
  unacked: JournalEntry[];
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A contributor's journal beside its key (`<key>.journal.json`, 0600): the last seq it signed and
 * the bytes of every update not yet acknowledged by a node (docs/OPERATIONS.md, "Contributor
 * journal"). It is what keeps an honest contributor from equivocating by accident:
 * - a retry resends the journaled bytes, never a new update at a used seq, whichever node it talks to;
 * - an update is journaled (on disk) before it is sent, so a crash between signing and sending
 *   loses nothing, and the next run resends it with the same id;
 * - it is bounded (JOURNAL_MAX_UNACKED) and pruned as updates are acknowledged;
 * - `<key>.lock` (created exclusively, holding the pid) keeps a second process off the key: it
 *   refuses with a clear error instead of risking two updates at one seq. A lock whose process is
 *   gone is taken over.
 */
export class ContributorJournal {
  private readonly path: string;
  private readonly lockPath: string;
  private file: JournalFile;
  private locked = false;

  private constructor(
    keyPath: string,
    private readonly author: Author,
  ) {
    this.path = `${keyPath}.journal.json`;
    this.lockPath = `${keyPath}.lock`;
    this.file = { version: 1, author: author.key, lastSeq: 0, lastId: null, unacked: [] };
  }

  /** Takes the key's lock and reads its journal; release() when done. */
  static open(keyPath: string, author: Author): ContributorJournal {
    const j = new ContributorJournal(keyPath, author);
    j.lock();
    try {
      j.load();
    } catch (err) {
      j.release();
      throw err;
    }
    return j;
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
        if (Number.isSafeInteger(pid) && pid > 0 && isPidAlive(pid)) {
          throw new ConfigError('--key', `a key no other process is signing with (process ${pid} holds ${this.lockPath}; two signers at once could sign two updates at one seq, which is equivocation)`);
        }
        rmSync(this.lockPath, { force: true }); // its process is gone: a stale lock
      }
    }
    throw new ConfigError('--key', `a key whose lock ${this.lockPath} can be taken`);
  }

  release(): void {
    if (this.locked) rmSync(this.lockPath, { force: true });
    this.locked = false;
  }

  private load(): void {
    const read = readStateFile<JournalFile>(this.path, JOURNAL_MAX_BYTES, (why) => `a journal written by murmur (${why}); moving it away risks signing a used seq`);
    if (read === null) return;
    const { value: f, bad } = read;
    if (f?.version !== 1 || f.author !== this.author.key || !Number.isSafeInteger(f.lastSeq) || f.lastSeq < 0 || !Array.isArray(f.unacked) || f.unacked.length > JOURNAL_MAX_UNACKED) throw bad('wrong shape or another key');
    for (const e of f.unacked) {
      let id: string;
      try {
        id = decodeUpdate(Buffer.from(e.hex, 'hex')).id;
      } catch {
        throw bad(`entry seq ${e.seq} does not decode`);
      }
      if (id !== e.id) throw bad(`entry seq ${e.seq} hashes to ${id}`);
    }
    this.file = f;
  }

  private save(): void {
    writeFileAtomic(this.path, JSON.stringify(this.file) + '\n');
  }

  /** Updates signed and not yet acknowledged, oldest first. */
  get unacked(): readonly JournalEntry[] {
    return this.file.unacked;
  }

  get lastSeq(): number {
    return this.file.lastSeq;
  }

  /**
   * Continues the author's chain after the highest seq known: the journal's, or the node's view
   * (`nodeTop`) when that is higher (a journal lost or made elsewhere; the node has the proof).
   */
  resumeAuthor(nodeTop: { seq: number; id: string } | undefined): void {
    const mine = this.file.lastId === null ? undefined : { seq: this.file.lastSeq, id: this.file.lastId };
    const top = nodeTop !== undefined && (mine === undefined || nodeTop.seq > mine.seq) ? nodeTop : mine;
    if (top !== undefined) this.author.resume(top.seq, top.id);
  }

  /** Records a freshly signed update (to disk, before it may be sent); `prevId` is the own update it continues. */
  record(update: { id: string; bytes: Uint8Array }, prevId: string | null): void {
    if (this.file.unacked.length >= JOURNAL_MAX_UNACKED) {
      throw new ConfigError('journal', `at most ${JOURNAL_MAX_UNACKED} unacknowledged updates: run murmur resend until a node acknowledges them`);
    }
    const seq = decodeUpdate(update.bytes).seq;
    this.file = { ...this.file, lastSeq: seq, lastId: update.id, unacked: [...this.file.unacked, { seq, id: update.id, hex: toHex(update.bytes), prevId }] };
    this.save();
  }

  /**
   * A node rejected `id` as invalid. Validity is the same on every honest node, so no node will
   * ever accept it, and its seq may be signed again without equivocating: when it is the last
   * update signed, the chain rolls back to before it. (An earlier entry stays: later ones build on it.)
   */
  rejected(id: string): void {
    const last = this.file.unacked.at(-1);
    if (last === undefined || last.id !== id || last.id !== this.file.lastId) return;
    this.file = { ...this.file, lastSeq: last.seq - 1, lastId: last.prevId, unacked: this.file.unacked.slice(0, -1) };
    this.save();
  }

  /** A node acknowledged `id` (stored it, or already had it): it leaves the journal. */
  acknowledge(id: string): void {
    const unacked = this.file.unacked.filter((e) => e.id !== id);
    if (unacked.length === this.file.unacked.length) return;
    this.file = { ...this.file, unacked };
    this.save();
  }
}
