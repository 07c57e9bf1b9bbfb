/** Typed-array columns, as the log's tables keep them. */
export type Column = Uint8Array | Int8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `a` with room for `length` elements. */
export function resized<T extends Column>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a.subarray(0, Math.min(a.length, length)) as ArrayLike<number>);
  return out;
}

/** `a` reordered: element k of the result is a[order[k]] (same capacity). */
export function permuted<T extends Column>(a: T, order: Int32Array): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let k = 0; k < order.length; k++) out[k] = a[order[k]!]!;
  return out;
}
