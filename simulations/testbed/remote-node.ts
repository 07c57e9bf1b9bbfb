import { toHex } from '../../crdt/index.js';

/** Time allowed for one API call to a testbed node. */
export const REMOTE_CALL_TIMEOUT_MS = 3_000;

/**
 * A testbed node seen from the runner: its HTTP API across the bridge. It offers what a
 * contributor needs of a node (submit, and the frontier to name as deps, from the last poll) and
 * what the runner measures (size and digest, by polling /v1/status).
 */
export class RemoteNode {
  size = 0;
  digest = '';
  /** Submissions it accepted (each a distinct update: the runner's count of the network's union). */
  accepted = 0;
  peers = 0;
  private frontierCache: string[] = [];
  readonly log = { frontier: (max = 8): string[] => this.frontierCache.slice(0, max) };

  constructor(readonly api: string) {}

  private async call(path: string, init: RequestInit = {}): Promise<unknown> {
    const res = await fetch(`${this.api}${path}`, { ...init, signal: AbortSignal.timeout(REMOTE_CALL_TIMEOUT_MS) });
    const body = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    return body;
  }

  /** POST /v1/updates, answered in the shape of MurmurNode.submit's outcome. */
  async submit(bytes: Uint8Array): Promise<{ outcome: { status: string } }> {
    try {
      const body = (await this.call('/v1/updates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ update: toHex(bytes) }) })) as { status: string };
      if (body.status === 'accepted') this.accepted++;
      return { outcome: { status: body.status } };
    } catch {
      return { outcome: { status: 'rejected' } };
    }
  }

  /** Refreshes size, digest, peers and frontier; false when the node did not answer. */
  async poll(): Promise<boolean> {
    try {
      const s = (await this.call('/v1/status')) as { updates: number; digest: string; frontier: string[]; peers: number };
      this.size = s.updates;
      this.digest = s.digest;
      this.frontierCache = s.frontier;
      this.peers = s.peers;
      return true;
    } catch {
      return false;
    }
  }

  get<T>(path: string): Promise<T> {
    return this.call(path) as Promise<T>;
  }
}
