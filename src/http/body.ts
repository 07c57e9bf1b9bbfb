import type { IncomingMessage } from 'node:http';
import { ApiError, ApiErrorCode } from './api-error.js';

/** Reads a request body up to `maxBytes`; a larger body is refused with 413 without reading it all. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError(413, ApiErrorCode.PayloadTooLarge, `body of ${declared} bytes exceeds ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.destroy();
      throw new ApiError(413, ApiErrorCode.PayloadTooLarge, `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
