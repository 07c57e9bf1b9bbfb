import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RejectCode, fromHex, MurmurArgumentError } from '../../crdt/index.js';
import type { ApiHost } from './api-host.js';
import { encodeBackup } from '../store/backup-stream.js';
import { ApiError, ApiErrorCode } from './api-error.js';
import { mediaType, readBody } from './body.js';
import { RateLimiter } from './rate-limiter.js';
import { AggregateRoutes } from './aggregate-routes.js';
import { uiRoute } from './ui-routes.js';
import { readRoutes, SUBMIT_MAX_BODY_BYTES, type Reply } from './routes.js';
import { RequestGuard } from './request-guard.js';
import { NodeUnavailableError } from '../errors.js';

/** Time a client has to send its whole request (headers and body). */
export const API_REQUEST_TIMEOUT_MS = 10_000;
/**
 * How often Node looks for requests past their timeout. Node's default (30 s) let a 10 s limit
 * hold a slow client for up to 40 s; checked every second, a request is cut within 11 s.
 */
export const API_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Open client connections at once. */
export const API_MAX_CONNECTIONS = 256;
/**
 * After a 413 for a body still being sent, the rest is read and thrown away for at most this long
 * before the connection is closed: closing with unread bytes would reset it, and the client would
 * see a reset instead of the 413.
 */
export const API_DRAIN_AFTER_REFUSAL_MS = 2_000;
/** A streamed answer (GET /v1/backup) whose client reads nothing for this long is cut: it would hold a LevelDB snapshot open. */
export const API_STREAM_STALL_MS = 30_000;

export interface ApiServerOptions {
  /** The bearer token writes need (read from `apiTokenFile` at start, before anything opens); null: none. */
  token: string | null;
  /** Overrides API_REQUEST_TIMEOUT_MS (tests). */
  requestTimeoutMs?: number;
}

/** HTTP status for each rejection code: 413 for size, 422 for everything else (well-formed but invalid). */
function rejectStatus(code: RejectCode): number {
  return code === RejectCode.TooLarge ? 413 : 422;
}

/** The contributor and operator HTTP API (docs/API.md). JSON in and out; bound to 127.0.0.1 by default. */
export class ApiServer {
  private readonly server: Server;
  private readonly limiter: RateLimiter;
  private readonly aggregates: AggregateRoutes;
  private readonly guard: RequestGuard;

  constructor(
    private readonly node: ApiHost,
    opts: ApiServerOptions,
  ) {
    this.guard = new RequestGuard(node.config.apiAllowedHosts, opts.token);
    this.aggregates = new AggregateRoutes(node);
    this.limiter = new RateLimiter(node.config.apiRateLimitPerS);
    const requestTimeout = opts.requestTimeoutMs ?? API_REQUEST_TIMEOUT_MS;
    this.server = createServer(
      {
        requestTimeout,
        headersTimeout: requestTimeout,
        connectionsCheckingInterval: Math.min(API_TIMEOUT_CHECK_INTERVAL_MS, Math.max(50, Math.floor(requestTimeout / 4))),
      },
      (req, res) => void this.handle(req, res),
    );
    this.server.maxConnections = API_MAX_CONNECTIONS;
  }

  async listen(): Promise<string> {
    const { apiHost, apiPort } = this.node.config;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(apiPort, apiHost, () => resolve());
    });
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    let unreadBody = false;
    try {
      if (!this.limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new ApiError(429, ApiErrorCode.RateLimited, 'too many requests; slow down');
      this.guard.checkOrigin(req);
      reply = await this.route(req);
    } catch (err) {
      if (err instanceof ApiError) unreadBody = err.code === ApiErrorCode.PayloadTooLarge;
      else if (req.destroyed) {
        // The client went away mid-request (an aborted upload): its doing, not the node's.
        this.node.logger.debug({ err, url: req.url }, 'api client aborted');
        return;
      } else this.node.logger.error({ err, url: req.url }, 'api handler failed');
      const e = err instanceof ApiError ? err : new ApiError(500, 'internal', 'internal error');
      reply = { status: e.status, body: { error: { code: e.code, message: e.message, ...e.details } } };
    }
    if (res.headersSent || res.destroyed) return;
    if (reply.stream !== undefined) {
      await this.streamReply(res, reply.status, reply.stream);
      return;
    }
    const headers: Record<string, string> = { 'content-type': reply.text !== undefined ? (reply.contentType ?? this.node.metrics.contentType) : 'application/json', ...reply.headers };
    if (unreadBody) {
      // The body is still arriving. Closing now, with its bytes unread, would reset the connection
      // and the client would lose the 413: read and discard the rest instead, and close only a
      // body still unfinished after API_DRAIN_AFTER_REFUSAL_MS.
      req.resume();
      res.once('finish', () => {
        setTimeout(() => {
          if (!req.complete) req.socket.destroy();
        }, API_DRAIN_AFTER_REFUSAL_MS).unref();
      });
    }
    res.writeHead(reply.status, headers).end(reply.text ?? JSON.stringify(reply.body));
  }

  /**
   * Writes a streamed body with backpressure. A client that goes away, or reads nothing for
   * API_STREAM_STALL_MS, ends the stream (and the LevelDB snapshot behind it).
   */
  private async streamReply(res: ServerResponse, status: number, body: AsyncIterable<Uint8Array>): Promise<void> {
    res.writeHead(status, { 'content-type': 'application/octet-stream' });
    try {
      for await (const chunk of body) {
        if (res.destroyed) break;
        if (!res.write(chunk) && !(await drained(res, API_STREAM_STALL_MS))) {
          res.destroy(); // stalled: the client sees a stream without its trailer
          return;
        }
      }
    } catch (err) {
      this.node.logger.error({ err }, 'api stream failed');
      res.destroy(); // the client sees a truncated stream (no trailer), never a short one that looks whole
      return;
    }
    res.end();
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new ApiError(400, ApiErrorCode.BadTarget, 'the request target is not a valid path');
    }
    if (url.pathname === '/v1/updates') {
      if (req.method !== 'POST') throw new ApiError(405, ApiErrorCode.MethodNotAllowed, 'POST an update here');
      return this.submit(req);
    }
    if (req.method !== 'GET') throw new ApiError(405, ApiErrorCode.MethodNotAllowed, `${req.method} is not allowed on ${url.pathname}`);
    if (url.pathname === '/v1/backup') {
      // Every update the node holds, so it needs the token like a write (docs/API.md).
      this.guard.checkToken(req);
      return { status: 200, body: null, stream: encodeBackup(this.node.store) };
    }
    if (url.pathname === '/metrics') return { status: 200, body: null, text: await this.node.metrics.render() };
    const ui = uiRoute(url.pathname);
    if (ui !== null) return ui;
    const r = readRoutes(this.node, url.pathname, url.searchParams) ?? (await this.aggregates.handle(url.pathname, url.searchParams));
    if (r === null) throw new ApiError(404, ApiErrorCode.NotFound, `no route ${url.pathname}`);
    return r;
  }

  /** POST /v1/updates: raw bytes (application/octet-stream) or JSON { "update": "<hex>" }. */
  private async submit(req: IncomingMessage): Promise<Reply> {
    this.guard.checkToken(req);
    const type = mediaType(req);
    if (type !== 'application/octet-stream' && type !== 'application/json') {
      throw new ApiError(415, ApiErrorCode.UnsupportedMediaType, 'send application/octet-stream (update bytes) or application/json {"update": "<hex>"}');
    }
    const body = await readBody(req, SUBMIT_MAX_BODY_BYTES);
    const bytes = type === 'application/json' ? parseJsonUpdate(body) : body;
    let result: Awaited<ReturnType<ApiHost['submit']>>;
    try {
      result = await this.node.submit(bytes);
    } catch (err) {
      if (err instanceof NodeUnavailableError) throw new ApiError(503, err.code, err.message);
      throw err;
    }
    const { outcome, published } = result;
    switch (outcome.status) {
      case 'accepted':
        return { status: 200, body: { id: outcome.id, status: 'accepted', released: outcome.released, published } };
      case 'duplicate':
        return { status: 200, body: { id: outcome.id, status: 'duplicate' } };
      case 'pending':
        return { status: 202, body: { id: outcome.id, status: 'pending', missing: outcome.missing, held: outcome.held } };
      case 'rejected':
        throw new ApiError(rejectStatus(outcome.code), outcome.code, outcome.reason, { id: outcome.id });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parseJsonUpdate(body: Uint8Array): Uint8Array {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new ApiError(400, ApiErrorCode.BadJson, `body is not JSON: ${(err as Error).message}`);
  }
  const hex = (v as { update?: unknown } | null)?.update;
  try {
    if (typeof hex !== 'string') throw new MurmurArgumentError('update', 'a hex string');
    return fromHex(hex, 'update');
  } catch (err) {
    if (err instanceof MurmurArgumentError) throw new ApiError(400, ApiErrorCode.BadRequest, `${err.message} (the update's bytes in lowercase hex)`);
    throw err;
  }
}

/** Resolves true when `res` drains, false when it closes or `ms` pass first; its listeners are removed either way. */
function drained(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
