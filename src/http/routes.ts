import { MAX_UPDATE_BYTES, formatDecimal, fromHex, MurmurArgumentError, type AttestationView } from '../../crdt/index.js';
import * as Y from 'yjs';
import type { MurmurNode } from '../node.js';
import { renderMetrics } from '../metrics.js';
import { ApiError, ApiErrorCode } from './api-error.js';

/** Most items one list response carries (`limit` is capped to it). */
export const API_MAX_LIMIT = 10_000;
export const API_DEFAULT_LIMIT = 1_000;

export interface Reply {
  status: number;
  body: unknown;
  /** Raw text body (metrics); `body` is ignored when set. */
  text?: string;
}

function intParam(q: URLSearchParams, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = q.get(name);
  if (v === null) return def;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new ApiError(400, ApiErrorCode.BadRequest, `${name}: expected an integer in 0..${max}`);
  return Number(v);
}

export function attestationJson(a: AttestationView): Record<string, unknown> {
  return {
    updateId: a.updateId,
    index: a.index,
    author: a.author,
    seq: a.seq,
    feed: a.feed,
    value: formatDecimal(a),
    confidence: formatDecimal({ mantissa: a.confidence, exponent: a.exponent }),
    observedAtMs: a.observedAtMs,
    sources: a.sources,
  };
}

export function readRoutes(node: MurmurNode, path: string, q: URLSearchParams): Reply | null {
  const log = node.log;
  if (path === '/health') return { status: 200, body: { ok: true, updates: log.size, uptimeMs: Date.now() - node.startedAt } };
  if (path === '/metrics') return { status: 200, body: null, text: renderMetrics(node) };
  if (path === '/v1/status') {
    return {
      status: 200,
      body: {
        peerId: node.peerId,
        networkId: node.config.networkId,
        multiaddrs: node.network.multiaddrs(),
        peers: node.network.peers().length,
        updates: log.size,
        pending: log.pendingCount,
        digest: log.digest(),
        frontier: log.frontier(),
        stats: log.stats,
      },
    };
  }
  if (path === '/v1/peers') return { status: 200, body: { peers: node.network.peers() } };
  if (path === '/v1/feeds') return { status: 200, body: { feeds: log.state.feedIds() } };
  if (path === '/v1/attestations') {
    const feed = q.get('feed');
    if (feed === null) throw new ApiError(400, ApiErrorCode.BadRequest, 'feed: required (for example feed=ETH/USD)');
    const from = intParam(q, 'from', 0);
    const to = intParam(q, 'to', Number.MAX_SAFE_INTEGER);
    const limit = intParam(q, 'limit', API_DEFAULT_LIMIT, API_MAX_LIMIT);
    const all = log.state.attestations(feed, from, to);
    return { status: 200, body: { feed, from, to, total: all.length, attestations: all.slice(0, limit).map(attestationJson) } };
  }
  if (path === '/v1/audit') {
    const offset = intParam(q, 'offset', 0);
    const limit = intParam(q, 'limit', API_DEFAULT_LIMIT, API_MAX_LIMIT);
    const all = log.state.auditLog();
    return { status: 200, body: { total: all.length, offset, events: all.slice(offset, offset + limit) } };
  }
  if (path === '/v1/registry') return { status: 200, body: { authorities: node.config.registryAuthorities, ...node.registryView() } };
  if (path === '/v1/docs') {
    const name = q.get('name');
    if (name === null) return { status: 200, body: { docs: log.state.docNames() } };
    if (!log.state.docNames().includes(name)) throw new ApiError(404, ApiErrorCode.NotFound, `no document ${name}`);
    const doc = node.docs.doc(name);
    return {
      status: 200,
      body: {
        name,
        ops: log.state.docOps(name).length,
        writers: [...node.docs.writers(name)].map(([clientId, author]) => ({ clientId, author })),
        stateVectorBase64: Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
        updateBase64: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
      },
    };
  }
  if (path === '/v1/evidence') return { status: 200, body: { evidence: log.evidence() } };
  const heads = /^\/v1\/authors\/([^/]+)\/heads$/.exec(path);
  if (heads !== null) {
    try {
      fromHex(heads[1]!, 'author', 32);
    } catch (err) {
      if (err instanceof MurmurArgumentError) throw new ApiError(400, ApiErrorCode.BadRequest, err.message);
      throw err;
    }
    return { status: 200, body: { author: heads[1], heads: log.authorHeads(heads[1]!) } };
  }
  return null;
}

/** Request body bound for POST /v1/updates: a maximal update as hex inside JSON, plus slack. */
export const SUBMIT_MAX_BODY_BYTES = MAX_UPDATE_BYTES * 2 + 1024;
