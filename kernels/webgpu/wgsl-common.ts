/**
 * WGSL helpers shared by the shaders. Signed 64-bit integers are vec2<u32> (low word, high
 * word) in two's complement; every helper mirrors kernels/int-math.ts or kernels/philox.ts.
 */
export const WGSL_COMMON = /* wgsl */ `
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn neg64(a: vec2<u32>) -> vec2<u32> { return add64(~a, vec2<u32>(1u, 0u)); }
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return add64(a, neg64(b)); }
fn from_i32(x: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(x), select(0u, 0xffffffffu, x < 0)); }
fn lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
  if (a.y != b.y) { return bitcast<i32>(a.y) < bitcast<i32>(b.y); }
  return a.x < b.x;
}
fn max64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, lt64(a, b)); }
// Arithmetic shift right by one: floor(a / 2).
fn shr1_64(a: vec2<u32>) -> vec2<u32> {
  return vec2<u32>((a.x >> 1u) | (a.y << 31u), bitcast<u32>(bitcast<i32>(a.y) >> 1u));
}
fn mulhi32(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let lo = a0 * b0; let mid1 = a1 * b0; let mid2 = a0 * b1;
  let carry = ((lo >> 16u) + (mid1 & 0xffffu) + (mid2 & 0xffffu)) >> 16u;
  return a1 * b1 + (mid1 >> 16u) + (mid2 >> 16u) + carry;
}
// i32 x u32 (the u32 at most 2^16) as a signed 64-bit product.
fn mul_i32_u32(q: i32, w: u32) -> vec2<u32> {
  let m = u32(abs(q));
  let p = vec2<u32>(m * w, mulhi32(m, w));
  return select(p, neg64(p), q < 0);
}
// floor(q * f / 2^16) for 0 <= f <= 2^16 (kernels/int-math.ts mulShift16).
fn mul_shift16(q: i32, f: u32) -> i32 {
  return (q >> 16u) * i32(f) + i32(((bitcast<u32>(q) & 0xffffu) * f) >> 16u);
}
// Word (i mod 4) of Philox4x32-10 at counter (i / 4, purpose, 0, 0) (kernels/philox.ts).
fn philox(k0: u32, k1: u32, i: u32, c1: u32) -> u32 {
  let c0 = i >> 2u;
  var x0 = c0; var x1 = c1; var x2 = 0u; var x3 = 0u; var key0 = k0; var key1 = k1;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi32(0xd2511f53u, x0); let lo0 = 0xd2511f53u * x0;
    let hi1 = mulhi32(0xcd9e8d57u, x2); let lo1 = 0xcd9e8d57u * x2;
    x0 = hi1 ^ x1 ^ key0; x1 = lo1; x2 = hi0 ^ x3 ^ key1; x3 = lo0;
    key0 += 0x9e3779b9u; key1 += 0xbb67ae85u;
  }
  let w = vec4<u32>(x0, x1, x2, x3);
  return w[i & 3u];
}
// Linear index of this invocation in a 2D dispatch of 1D work.
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, size: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * size + lid;
}
`;
