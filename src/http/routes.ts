import { deriveSession, pairAdapters } from '../arbsphere/session.js';
import { conformance as arbConformance } from '../arbsphere/conformance.js';
import { MAX_UPDATE_BYTES, formatDecimal, fromHex, MurmurArgumentError, type AttestationView } from '../../crdt/index.js';
import * as Y from 'yjs';
import type { ApiHost } from './api-host.js';
import { ApiError, ApiErrorCode, aboveHorizon } from './api-error.js';
import { readiness } from '../readiness.js';

/** Most items one list response carries (`limit` is capped to it). */
export const API_MAX_LIMIT = 10_000;
export const API_DEFAULT_LIMIT = 1_000;
/**
 * Largest document state GET /v1/docs?name= returns as one Yjs update (raw bytes, before base64);
 * a larger document is read page by page from /v1/docs/ops. Also the byte bound of one
 * /v1/docs/ops page (each op's update is at most MAX_DOC_UPDATE_BYTES).
 */
export const API_MAX_DOC_BYTES = 16 * 1024 * 1024;

export interface Reply {
  status: number;
  body: unknown;
  /** Raw text body (metrics); `body` is ignored when set. */
  text?: string;
  /** A streamed binary body (the backup), written with backpressure; `body` is ignored when set. */
  stream?: AsyncIterable<Uint8Array>;
  /** Content type of `text` (default: the metrics exposition's). */
  contentType?: string;
  /** Extra response headers (the dashboard's security policy). */
  headers?: Record<string, string>;
}

function intParam(q: URLSearchParams, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = q.get(name);
  if (v === null) return def;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new ApiError(400, ApiErrorCode.BadRequest, `${name}: expected an integer in 0..${max}`);
  return Number(v);
}

/** `offset` and `limit` (capped at API_MAX_LIMIT) of a list. */
function range(q: URLSearchParams): { offset: number; limit: number } {
  return { offset: intParam(q, 'offset', 0), limit: intParam(q, 'limit', API_DEFAULT_LIMIT, API_MAX_LIMIT) };
}

/** The page of `all` that `offset` and `limit` select. */
function page<T>(q: URLSearchParams, all: readonly T[]): { total: number; offset: number; items: T[] } {
  const { offset, limit } = range(q);
  return { total: all.length, offset, items: all.slice(offset, offset + limit) };
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

export function readRoutes(node: ApiHost, path: string, q: URLSearchParams): Reply | null {
  const log = node.log;
  if (path === '/health') {
    // Liveness, and why writes are refused (503) when they are: the store failing, or stopping.
    const down = node.unavailable;
    return { status: down === null ? 200 : 503, body: { ok: down === null, updates: log.size, uptimeMs: Date.now() - node.startedAt, ...(down !== null ? { code: down.code, reason: down.reason } : {}) } };
  }
  if (path === '/ready') {
    const r = readiness(node);
    return { status: r.ready ? 200 : 503, body: r };
  }
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
  if (path === '/v1/feeds') {
    const { items, ...rest } = page(q, log.state.feedIds());
    return { status: 200, body: { ...rest, feeds: items } };
  }
  if (path === '/v1/attestations') {
    const feed = q.get('feed');
    if (feed === null) throw new ApiError(400, ApiErrorCode.BadRequest, 'feed: required (for example feed=ETH/USD)');
    const horizon = log.state.horizons.attestationsMs;
    const from = aboveHorizon(intParam(q, 'from', horizon), horizon, 'attestations observed');
    const to = intParam(q, 'to', Number.MAX_SAFE_INTEGER);
    const { offset, limit } = range(q); // only the page is built
    const { total, items } = log.state.attestationPage(feed, from, to, offset, limit);
    return { status: 200, body: { feed, from, to, total, offset, compactedBeforeMs: horizon, attestations: items.map(attestationJson) } };
  }
  if (path === '/v1/audit') {
    const { offset, limit } = range(q); // built page by page: the whole log is never copied
    const compactedBeforeMs = log.state.horizons.auditMs;
    return { status: 200, body: { total: log.state.auditCount(), offset, compactedBeforeMs, events: log.state.auditLog(offset, limit) } };
  }
  if (path === '/v1/registry') {
    // One offset and limit page all three lists; each says its own total.
    const view = node.registryView();
    const entries = page(q, view.entries);
    const disputed = page(q, view.disputed);
    const ignored = page(q, view.ignored);
    return {
      status: 200,
      body: {
        authorities: node.config.registryAuthorities,
        offset: entries.offset,
        entriesTotal: entries.total,
        entries: entries.items,
        disputedTotal: disputed.total,
        disputed: disputed.items,
        ignoredTotal: ignored.total,
        ignored: ignored.items,
      },
    };
  }
  if (path === '/v1/docs') {
    const name = q.get('name');
    if (name === null) {
      const { items, ...rest } = page(q, log.state.docNames());
      return { status: 200, body: { ...rest, docs: items } };
    }
    const doc = knownDoc(node, name);
    const update = Y.encodeStateAsUpdate(doc);
    if (update.length > API_MAX_DOC_BYTES) {
      throw new ApiError(400, ApiErrorCode.TooLarge, `document ${name} is ${update.length} bytes, over ${API_MAX_DOC_BYTES}: read its ops page by page from /v1/docs/ops?name=`);
    }
    return {
      status: 200,
      body: {
        name,
        ops: log.state.docOpCount(name),
        writers: [...node.docs.writers(name)].map(([clientId, author]) => ({ clientId, author })),
        stateVectorBase64: Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
        updateBase64: Buffer.from(update).toString('base64'),
      },
    };
  }
  if (path === '/v1/docs/ops') {
    const name = q.get('name');
    if (name === null) throw new ApiError(400, ApiErrorCode.BadRequest, 'name: required (for example name=registry)');
    knownDoc(node, name);
    const { offset, limit } = range(q);
    const total = log.state.docOpCount(name);
    const items = log.state.docOps(name, offset, limit);
    // A page also stops at API_MAX_DOC_BYTES of updates; `next` says where the following one starts.
    let bytes = 0;
    const ops = items.filter((o) => (bytes += o.update.length) <= API_MAX_DOC_BYTES || o === items[0]);
    return {
      status: 200,
      body: {
        name,
        total,
        offset,
        next: offset + ops.length >= total ? null : offset + ops.length,
        ops: ops.map((o) => ({ updateId: o.updateId, index: o.index, author: o.author, seq: o.seq, updateBase64: Buffer.from(o.update).toString('base64') })),
      },
    };
  }
  if (path === '/v1/evidence') {
    const { items, ...rest } = page(q, log.evidence());
    // Client-id collisions are few (each costs its maker 2^52 work) and are listed whole.
    return { status: 200, body: { ...rest, evidence: items, clientIdCollisions: log.clientIdCollisions() } };
  }
  if (path === '/v1/arbsphere') {
    const pair = q.get('pair');
    if (pair === null) throw new ApiError(400, ApiErrorCode.BadRequest, 'pair: required (for example pair=toyPair:ETH-USD)');
    const session = intParam(q, 'session', 1);
    const ops = log.state.arbOps(pair, session);
    const state = deriveSession(pair, session, ops, pairAdapters(node.registryView(), pair));
    const conformance = state.venues.map((v) => arbConformance(state, ops, v.venue, (a, b) => log.isAncestor(a, b)));
    // Anyone may sign ops for a session: the ignored list is cut to API_MAX_LIMIT, with its total.
    return { status: 200, body: { state: { ...state, ignored: state.ignored.slice(0, API_MAX_LIMIT), ignoredTotal: state.ignored.length }, conformance } };
  }
  const ident = /^\/v1\/identities\/([^/]+)$/.exec(path);
  if (ident !== null) {
    try {
      fromHex(ident[1]!, 'key', 32);
    } catch (err) {
      if (err instanceof MurmurArgumentError) throw new ApiError(400, ApiErrorCode.BadRequest, err.message);
      throw err;
    }
    // Anyone may sign (void) revocations naming a key: both lists are cut to API_MAX_LIMIT, with their totals.
    const id = log.identity(ident[1]!);
    return { status: 200, body: { ...id, revocations: id.revocations.slice(0, API_MAX_LIMIT), revocationsTotal: id.revocations.length, successions: id.successions.slice(0, API_MAX_LIMIT), successionsTotal: id.successions.length } };
  }
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

function knownDoc(node: ApiHost, name: string): Y.Doc {
  if (!node.log.state.docNames().includes(name)) throw new ApiError(404, ApiErrorCode.NotFound, `no document ${name}`);
  return node.docs.doc(name);
}

/** Request body bound for POST /v1/updates: a maximal update as hex inside JSON, plus slack. */
export const SUBMIT_MAX_BODY_BYTES = MAX_UPDATE_BYTES * 2 + 1024;
