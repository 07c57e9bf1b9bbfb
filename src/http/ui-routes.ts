import { readFileSync } from 'node:fs';
import type { Reply } from './routes.js';

/**
 * The operator dashboard (docs/OPERATIONS.md, "Dashboard"): four static files, read once at
 * start, served same-origin with a content security policy that allows nothing from elsewhere.
 * The page polls the node's own read API; it needs no internet and no build step.
 */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/ui/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/** The paths the dashboard serves. */
export const UI_PATHS: readonly string[] = Object.keys(FILES);

export const UI_CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const cache = new Map<string, string>();

export function uiRoute(path: string): Reply | null {
  const f = FILES[path];
  if (f === undefined) return null;
  let text = cache.get(f.file);
  if (text === undefined) {
    text = readFileSync(new URL(`./ui/${f.file}`, import.meta.url), 'utf8');
    cache.set(f.file, text);
  }
  return { status: 200, body: null, text, contentType: f.type, headers: { 'content-security-policy': UI_CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' } };
}
