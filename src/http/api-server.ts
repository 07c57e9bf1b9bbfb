import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RejectCode, fromHex, MurmurArgumentError } from '../../crdt/index.js';
import type { MurmurNode } from '../node.js';
import { ApiError, ApiErrorCode } from './api-error.js';
import { mediaType, readBody } from './body.js';
import { RateLimiter } from './rate-limiter.js';
import { AggregateRoutes } from './aggregate-routes.js';
import { readRoutes, SUBMIT_MAX_BODY_BYTES, type Reply } from './routes.js';

/** Time a client has to send its whole request. */
export const API_REQUEST_TIMEOUT_MS = 10_000;
/** Open client connections at once. */
export const API_MAX_CONNECTIONS = 256;

/** HTTP status for each rejection code: 413 for size, 422 for everything else (well-formed but invalid). */
function rejectStatus(code: RejectCode): number {
  return code === RejectCode.TooLarge ? 413 : 422;
}

/** The contributor and operator HTTP API (docs/API.md). JSON in and out; bound to 127.0.0.1 by default. */
export class ApiServer {
  private readonly server: Server;
  private readonly limiter: RateLimiter;
  private readonly aggregates: AggregateRoutes;

  constructor(private readonly node: MurmurNode) {
    this.aggregates = new AggregateRoutes(node);
    this.limiter = new RateLimiter(node.config.apiRateLimitPerS);
    this.server = createServer({ requestTimeout: API_REQUEST_TIMEOUT_MS }, (req, res) => void this.handle(req, res));
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
    try {
      if (!this.limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new ApiError(429, ApiErrorCode.RateLimited, 'too many requests; slow down');
      reply = await this.route(req);
    } catch (err) {
      if (!(err instanceof ApiError)) this.node.logger.error({ err, url: req.url }, 'api handler failed');
      const e = err instanceof ApiError ? err : new ApiError(500, 'internal', 'internal error');
      reply = { status: e.status, body: { error: { code: e.code, message: e.message, ...e.details } } };
    }
    if (res.headersSent) return;
    if (reply.text !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(reply.text);
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    }
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/v1/updates') {
      if (req.method !== 'POST') throw new ApiError(405, ApiErrorCode.MethodNotAllowed, 'POST an update here');
      return this.submit(req);
    }
    if (req.method !== 'GET') throw new ApiError(405, ApiErrorCode.MethodNotAllowed, `${req.method} is not allowed on ${url.pathname}`);
    const r = readRoutes(this.node, url.pathname, url.searchParams) ?? (await this.aggregates.handle(url.pathname, url.searchParams));
    if (r === null) throw new ApiError(404, ApiErrorCode.NotFound, `no route ${url.pathname}`);
    return r;
  }

  /** POST /v1/updates: raw bytes (application/octet-stream) or JSON { "update": "<hex>" }. */
  private async submit(req: IncomingMessage): Promise<Reply> {
    const type = mediaType(req);
    if (type !== 'application/octet-stream' && type !== 'application/json') {
      throw new ApiError(415, ApiErrorCode.UnsupportedMediaType, 'send application/octet-stream (update bytes) or application/json {"update": "<hex>"}');
    }
    const body = await readBody(req, SUBMIT_MAX_BODY_BYTES);
    const bytes = type === 'application/json' ? parseJsonUpdate(body) : body;
    const { outcome, published } = await this.node.submit(bytes);
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
