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
  // destroyOnReturn false: leaving the loop on an oversized body must not reset the connection.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      // Not destroyed here: the caller answers 413, then drains and closes (ApiServer.handle).
      throw new ApiError(413, ApiErrorCode.PayloadTooLarge, `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
