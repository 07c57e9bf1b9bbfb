import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ApiError, ApiErrorCode } from './api-error.js';

/** Host names a request may name besides IP literals: loopback's name, and the operator's own (`apiAllowedHosts`). */
const ALWAYS_ALLOWED_HOSTS = ['localhost'];

/** The host part of a Host header or an Origin's authority ("[::1]:7070" -> "::1"), lowercased; null when malformed. */
export function hostName(authority: string): string | null {
  const a = authority.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(a) ?? /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(a);
  return m === null ? null : m[1]!;
}

/**
 * Checks a request against DNS rebinding and cross-site writes (docs/API.md, "Who may call"):
 * - the Host header must name an IP literal, `localhost` or one of `allowedHosts`; a page on
 *   attacker.example that rebinds its name to 127.0.0.1 still sends Host: attacker.example;
 * - an Origin header, when a browser sends one, must name an allowed host too.
 */
export class RequestGuard {
  private readonly allowed: ReadonlySet<string>;
  private readonly tokenDigest: Buffer | null;

  constructor(allowedHosts: readonly string[], token: string | null) {
    this.allowed = new Set([...ALWAYS_ALLOWED_HOSTS, ...allowedHosts.map((h) => h.toLowerCase())]);
    this.tokenDigest = token === null ? null : sha256(token);
  }

  private hostAllowed(name: string | null): boolean {
    return name !== null && (isIP(name) !== 0 || this.allowed.has(name));
  }

  /** Throws 421 `bad-host` or 403 `bad-origin`. */
  checkOrigin(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host === undefined || !this.hostAllowed(hostName(host))) {
      throw new ApiError(421, ApiErrorCode.BadHost, `Host ${JSON.stringify(host ?? '')} is not an address of this node; add the name to apiAllowedHosts to serve it`);
    }
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let name: string | null = null;
    try {
      const u = new URL(origin);
      if (u.protocol === 'http:' || u.protocol === 'https:') name = hostName(u.host);
    } catch {
      /* "null" or junk: refused below */
    }
    if (!this.hostAllowed(name)) throw new ApiError(403, ApiErrorCode.BadOrigin, `Origin ${JSON.stringify(origin)} may not call this API`);
  }

  /** Whether a token is configured (writes then need it). */
  get tokenRequired(): boolean {
    return this.tokenDigest !== null;
  }

  /** For writes: throws 401 `unauthorized` unless the request carries the configured bearer token (none configured: always passes). */
  checkToken(req: IncomingMessage): void {
    if (this.tokenDigest === null) return;
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    // Compared as digests, in constant time: the length of the token leaks nothing either.
    if (m === null || !timingSafeEqual(sha256(m[1]!), this.tokenDigest)) {
      throw new ApiError(401, ApiErrorCode.Unauthorized, 'this write needs the API token: Authorization: Bearer <token from apiTokenFile>');
    }
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
