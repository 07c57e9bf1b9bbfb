import { createHash } from 'node:crypto';

/**
 * The Yjs client id an author must write under: the top 52 bits of
 * SHA-256("murmur/yjs-client/v1" || author key bytes). Bound to the key, so no author can write as
 * another; 52 bits keep it a safe integer (Yjs encodes client ids as varuints).
 */
const cache = new Map<string, number>();
const CACHE_MAX = 65_536;
/** Bits of a bound client id; fewer only in tests that force collisions (`LogOptions.yjsClientIdBits`). */
export const YJS_CLIENT_ID_BITS = 52;

/** The bound client id, truncated to its top `bits` bits (52 in the protocol). */
export function yjsClientId(authorKeyHex: string, bits = YJS_CLIENT_ID_BITS): number {
  const full = clientId52(authorKeyHex);
  return bits === YJS_CLIENT_ID_BITS ? full : Math.floor(full / 2 ** (YJS_CLIENT_ID_BITS - bits));
}

function clientId52(authorKeyHex: string): number {
  let id = cache.get(authorKeyHex);
  if (id === undefined) {
    const h = createHash('sha256').update('murmur/yjs-client/v1').update(Buffer.from(authorKeyHex, 'hex')).digest();
    id = (h.readUInt32BE(0) >>> 12) * 2 ** 32 + h.readUInt32BE(4);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(authorKeyHex, id);
  }
  return id;
}
