import { toHex, type Author, type OpInput } from '../../crdt/index.js';

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
    throw new Error(`cannot reach the node API at ${api.url}: ${(err as Error).message}`);
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

/**
 * Continues `author`'s chain from the node's view of its heads, signs `ops` with the node's
 * frontier (first `maxDeps`) as extra deps, and submits the update. Never run two at once with the
 * same key: that is equivocation, and the network would exclude the key's later ops.
 */
export async function signAndSubmit(api: ApiTarget, author: Author, ops: readonly OpInput[], timestampMs: number, maxDeps: number): Promise<unknown> {
  const heads = (await getJson(api, `/v1/authors/${author.key}/heads`)) as { heads: { seq: number; id: string }[] };
  const top = heads.heads.at(-1);
  if (top !== undefined) author.resume(top.seq, top.id);
  const status = (await getJson(api, '/v1/status')) as { frontier: string[] };
  return postUpdate(api, author.next(ops, timestampMs, status.frontier.slice(0, maxDeps)).bytes);
}
