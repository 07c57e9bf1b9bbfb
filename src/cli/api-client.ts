import { toHex, type Author, type OpInput } from '../../crdt/index.js';
import { ContributorJournal } from '../contributor/journal.js';

/** Time allowed for one API call from the CLI. */
export const CLI_API_TIMEOUT_MS = 10_000;

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
    this.name = 'ApiCallError';
  }
}

/** The node's API did not answer (refused, reset, timed out): nothing was learned, so a retry is safe. */
export class ApiUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: string,
  ) {
    super(`cannot reach the node API at ${url}: ${cause}`);
    this.name = 'ApiUnreachableError';
  }
}

/** A node's API: its base URL and, where the node sets `apiTokenFile`, the bearer token its writes need. */
export interface ApiTarget {
  url: string;
  token?: string;
}

async function call(api: ApiTarget, path: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  const headers = new Headers(init.headers);
  if (api.token !== undefined) headers.set('authorization', `Bearer ${api.token}`);
  try {
    res = await fetch(new URL(path, api.url), { ...init, headers, signal: AbortSignal.timeout(CLI_API_TIMEOUT_MS) });
  } catch (err) {
    throw new ApiUnreachableError(api.url, (err as Error).message);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  if (!res.ok) throw new ApiCallError(res.status, body);
  return body;
}

export function getJson(api: ApiTarget, path: string): Promise<unknown> {
  return call(api, path);
}

export function postUpdate(api: ApiTarget, bytes: Uint8Array): Promise<unknown> {
  return call(api, '/v1/updates', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ update: toHex(bytes) }),
  });
}

/** What happened to one journaled update sent to a node. */
export interface SendResult {
  id: string;
  seq: number;
  /** 200 accepted or duplicate: acknowledged; 202: held pending there; 4xx: rejected as invalid. */
  status: number;
  body: unknown;
}

/** Sends one journaled update and updates the journal from the answer; network errors and 5xx throw (it stays journaled). */
async function send(api: ApiTarget, journal: ContributorJournal, e: { id: string; seq: number; hex: string }): Promise<SendResult> {
  try {
    const body = await call(api, '/v1/updates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ update: e.hex }) });
    const status = (body as { status?: string }).status === 'pending' ? 202 : 200;
    if (status === 200) journal.acknowledge(e.id);
    return { id: e.id, seq: e.seq, status, body };
  } catch (err) {
    if (err instanceof ApiCallError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 429) {
      journal.rejected(e.id);
      return { id: e.id, seq: e.seq, status: err.status, body: err.body };
    }
    throw err;
  }
}

/** Resends every unacknowledged update of the journal, oldest first, as the same bytes. */
export async function resendJournal(api: ApiTarget, journal: ContributorJournal): Promise<SendResult[]> {
  const out: SendResult[] = [];
  for (const e of [...journal.unacked]) out.push(await send(api, journal, e));
  return out;
}

/** `murmur resend`: resends the key's unacknowledged updates (to this node or another) and prints what each node said. */
export async function resend(api: ApiTarget, keyPath: string, author: Author): Promise<{ resent: SendResult[]; unacked: number }> {
  const journal = ContributorJournal.open(keyPath, author);
  try {
    const resent = await resendJournal(api, journal);
    return { resent, unacked: journal.unacked.length };
  } finally {
    journal.release();
  }
}

/**
 * Signs `ops` as the author's next update and submits it, through the key's journal
 * (ContributorJournal): first every earlier unacknowledged update is resent as the same bytes;
 * then the chain continues after the highest seq the journal or the node knows, the new update is
 * journaled on disk before it is sent, and it leaves the journal once a node acknowledges it. The
 * node's frontier (first `maxDeps`) is added as extra deps. A second process on the same key is
 * refused (the journal's lock).
 */
export async function signAndSubmit(
  api: ApiTarget,
  keyPath: string,
  author: Author,
  /** The ops, or a function of the author's previous own update (for ops that name it: a self-revocation). */
  ops: readonly OpInput[] | ((prevId: string | null) => readonly OpInput[]),
  timestampMs: number,
  maxDeps: number,
  /** Deps the update must name (a revocation's cut-off), before the node's frontier. */
  requiredDeps: readonly string[] = [],
): Promise<SendResult & { resent: SendResult[] }> {
  const journal = ContributorJournal.open(keyPath, author);
  try {
    const resent = await resendJournal(api, journal);
    const heads = (await getJson(api, `/v1/authors/${author.key}/heads`)) as { heads: { seq: number; id: string }[] };
    journal.resumeAuthor(heads.heads.at(-1));
    const prevId = author.lastSeq === 0 ? null : author.previous;
    const status = (await getJson(api, '/v1/status')) as { frontier: string[] };
    const deps = [...new Set([...requiredDeps, ...status.frontier])].slice(0, Math.max(maxDeps, requiredDeps.length));
    const u = author.next(typeof ops === 'function' ? ops(prevId) : ops, timestampMs, deps);
    journal.record(u, prevId);
    return { ...(await send(api, journal, { id: u.id, seq: author.lastSeq, hex: toHex(u.bytes) })), resent };
  } finally {
    journal.release();
  }
}

/**
 * Signs and submits the queued updates in order (signAndSubmit), removing each once it is
 * journaled and sent; returns how many went out. A transient failure (isTransient) leaves the rest
 * queued for the next try; any other failure throws.
 */
export async function drainQueued(api: ApiTarget, keyPath: string, author: Author, unsent: (readonly OpInput[])[], maxDeps: number): Promise<number> {
  let n = 0;
  try {
    while (unsent.length > 0) {
      await signAndSubmit(api, keyPath, author, unsent[0]!, Date.now(), maxDeps);
      unsent.shift();
      n++;
    }
  } catch (err) {
    if (!isTransient(err)) throw err;
  }
  return n;
}

/** A failure worth retrying: the node unreachable, busy (429) or failing (5xx); not a refusal or a bad key. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiCallError) return err.status === 429 || err.status >= 500;
  return err instanceof ApiUnreachableError;
}
