import { createHash } from 'node:crypto';

/**
 * Digest of an aggregate: SHA-256 over a domain tag, the canonical JSON of `fields` (built in a
 * fixed key order, with no backend named), then any raw byte parts. Two honest nodes holding the
 * same updates publish the same digest whatever backend ran (docs/KERNELS.md).
 */
export function aggregateDigest(domain: string, fields: Record<string, unknown>, ...raw: Uint8Array[]): string {
  const h = createHash('sha256').update(`murmur/aggregate/${domain}/v1\0`).update(JSON.stringify(fields));
  for (const r of raw) h.update(r);
  return h.digest('hex');
}
