import { WGSL_COMMON } from './wgsl-common.js';

/** One workgroup per feed: three bitonic sorts (votes, values, deviations) and weighted rank selection. */
export const ATTESTATION_WGSL = WGSL_COMMON + /* wgsl */ `
@group(0) @binding(0) var<storage, read> offsets: array<u32>;
@group(0) @binding(1) var<storage, read> values: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> confs: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> weights: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

var<workgroup> keys: array<vec2<u32>, 256>;
var<workgroup> wts: array<u32, 256>;
var<workgroup> cum: array<u32, 256>;
var<workgroup> picked: array<vec2<u32>, 4>;
var<workgroup> mask: array<atomic<u32>, 2>;

fn sort_and_scan(t: u32) {
  for (var k = 2u; k <= 256u; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      let o = t ^ j;
      if (o > t) {
        let a = keys[t]; let b = keys[o];
        if (lt64(b, a) == ((t & k) == 0u)) {
          keys[t] = b; keys[o] = a;
          let wa = wts[t]; wts[t] = wts[o]; wts[o] = wa;
        }
      }
      workgroupBarrier();
    }
  }
  cum[t] = wts[t];
  workgroupBarrier();
  for (var off = 1u; off < 256u; off = off << 1u) {
    var v = 0u;
    if (t >= off) { v = cum[t - off]; }
    workgroupBarrier();
    cum[t] += v;
    workgroupBarrier();
  }
}

fn pick(t: u32, slot: u32, rank: u32) {
  let w = wts[t];
  if (w > 0u && cum[t] - w <= rank && rank < cum[t]) { picked[slot] = keys[t]; }
}

fn abs64(a: vec2<u32>) -> vec2<u32> { return select(a, neg64(a), bitcast<i32>(a.y) < 0); }

// Weighted median of the feed's values (or of |value - center| when dev), floor-averaged.
fn weighted_median(t: u32, n: u32, start: u32, center: vec2<u32>, dev: bool) -> vec2<u32> {
  var key = vec2<u32>(0xffffffffu, 0x7fffffffu);
  var w = 0u;
  if (t < n) {
    key = values[start + t];
    if (dev) { key = abs64(sub64(key, center)); }
    w = weights[start + t];
  }
  keys[t] = key; wts[t] = w;
  workgroupBarrier();
  sort_and_scan(t);
  let total = cum[255];
  let h = total / 2u;
  pick(t, 0u, select(h - 1u, h, (total & 1u) == 1u));
  pick(t, 1u, h);
  workgroupBarrier();
  let m = shr1_64(add64(picked[0], picked[1]));
  workgroupBarrier();
  return m;
}

fn put64(base: u32, v: vec2<u32>) { out[base] = v.x; out[base + 1u] = v.y; }

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = lid.x;
  let f = wid.y * nwg.x + wid.x;
  let start = offsets[f];
  let n = offsets[f + 1u] - start;
  let o = f * 16u;
  let nv = 3u * n;
  var key = vec2<u32>(0xffffffffu, 0x7fffffffu);
  var w = 0u;
  if (t < nv) {
    let a = start + t / 3u;
    let kind = t % 3u;
    key = values[a];
    if (kind == 0u) { key = sub64(key, confs[a]); }
    if (kind == 2u) { key = add64(key, confs[a]); }
    w = weights[a];
  }
  keys[t] = key; wts[t] = w;
  if (t < 2u) { atomicStore(&mask[t], 0u); }
  workgroupBarrier();
  sort_and_scan(t);
  let vw = cum[255];
  let vq = vw / 4u; let vh = vw / 2u;
  let odd = (vw & 1u) == 1u;
  pick(t, 0u, vq);
  pick(t, 1u, select(vh - 1u, vh, odd));
  pick(t, 2u, vh);
  pick(t, 3u, vw - 1u - vq);
  workgroupBarrier();
  if (t == 0u && n > 0u) {
    let price = shr1_64(add64(picked[1], picked[2]));
    put64(o, price);
    put64(o + 2u, max64(sub64(price, picked[0]), sub64(picked[3], price)));
    put64(o + 4u, picked[0]);
    put64(o + 6u, picked[3]);
  }
  workgroupBarrier();

  let median = weighted_median(t, n, start, vec2<u32>(0u, 0u), false);
  let mad = weighted_median(t, n, start, median, true);
  let fence = add64(add64(mad, mad), add64(mad, mad));
  if (t < n && lt64(fence, abs64(sub64(values[start + t], median)))) { atomicOr(&mask[t >> 5u], 1u << (t & 31u)); }
  workgroupBarrier();
  if (t == 0u) {
    if (n > 0u) { put64(o + 8u, median); put64(o + 10u, mad); }
    out[o + 12u] = n;
    out[o + 13u] = cum[255];
    out[o + 14u] = atomicLoad(&mask[0]);
    out[o + 15u] = atomicLoad(&mask[1]);
  }
}
`;

/** One invocation per coordinate: mode 0 weighted sum, 1 median, 2 trimmed sum. */
export const COORDINATE_WGSL = WGSL_COMMON + /* wgsl */ `
struct Params { k: u32, len: u32, mode: u32, trim: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(wid, nwg, lid.x, 64u);
  if (i >= p.len) { return; }
  if (p.mode == 0u) {
    var s = vec2<u32>(0u, 0u);
    for (var r = 0u; r < p.k; r++) { s = add64(s, mul_i32_u32(x[r * p.len + i], w[r])); }
    out[i] = s;
    return;
  }
  var col: array<i32, 64>;
  for (var r = 0u; r < p.k; r++) {
    let v = x[r * p.len + i];
    var j = r;
    while (j > 0u && col[j - 1u] > v) { col[j] = col[j - 1u]; j--; }
    col[j] = v;
  }
  if (p.mode == 1u) {
    let m = p.k / 2u;
    if ((p.k & 1u) == 1u) { out[i] = from_i32(col[m]); } else { out[i] = from_i32((col[m - 1u] + col[m]) >> 1u); }
    return;
  }
  var s = vec2<u32>(0u, 0u);
  for (var r = p.trim; r < p.k - p.trim; r++) { s = add64(s, from_i32(col[r])); }
  out[i] = s;
}
`;

export const GRAM_TILE = 16;
export const GRAM_SLOTS = 9;
/** Pairwise coarse squared distances and norms; each workgroup strides over coordinate tiles. */
export const GRAM_WGSL = WGSL_COMMON + /* wgsl */ `
struct Params { k: u32, len: u32, pairs: u32, tiles: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read> pairs: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;
var<workgroup> tile: array<i32, 1024>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var acc: array<vec2<u32>, ${GRAM_SLOTS}>;
  for (var s = 0u; s < ${GRAM_SLOTS}u; s++) { acc[s] = vec2<u32>(0u, 0u); }
  for (var tt = wid.x; tt < p.tiles; tt += nwg.x) {
    for (var e = lid.x; e < 1024u; e += 256u) {
      let r = e / ${GRAM_TILE}u;
      let c = tt * ${GRAM_TILE}u + e % ${GRAM_TILE}u;
      var v = 0;
      if (r < p.k && c < p.len) { v = (x[r * p.len + c] + 32768) >> 16u; }
      tile[e] = v;
    }
    workgroupBarrier();
    for (var s = 0u; s < ${GRAM_SLOTS}u; s++) {
      let pi = lid.x + s * 256u;
      if (pi < p.pairs) {
        let ab = pairs[pi];
        let a = (ab & 0xffu) * ${GRAM_TILE}u;
        let b = (ab >> 8u) * ${GRAM_TILE}u;
        let norm = (ab >> 8u) == 255u;
        for (var c = 0u; c < ${GRAM_TILE}u; c++) {
          let va = tile[a + c];
          var d = va;
          if (!norm) { d = va - tile[b + c]; }
          acc[s] = add64(acc[s], vec2<u32>(u32(d * d), 0u));
        }
      }
    }
    workgroupBarrier();
  }
  for (var s = 0u; s < ${GRAM_SLOTS}u; s++) {
    let pi = lid.x + s * 256u;
    if (pi < p.pairs) { out[wid.x * p.pairs + pi] = acc[s]; }
  }
}
`;

/** Row r scaled by f[r] / 2^16 (clipping). */
export const SCALE_WGSL = WGSL_COMMON + /* wgsl */ `
struct Params { k: u32, len: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read> f: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(wid, nwg, lid.x, 64u);
  if (i >= p.k * p.len) { return; }
  out[i] = mul_shift16(x[i], f[i / p.len]);
}
`;

/** Standard normal draws (2^-16 units) from Philox and the quantile table. */
export const GAUSSIAN_WGSL = WGSL_COMMON + /* wgsl */ `
struct Params { k0: u32, k1: u32, start: u32, count: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(wid, nwg, lid.x, 64u);
  if (i >= p.count) { return; }
  let u = philox(p.k0, p.k1, p.start + i, 0u);
  let idx = u >> 20u;
  let lo = table[idx];
  out[i] = lo + mul_shift16(table[idx + 1u] - lo, (u >> 4u) & 0xffffu);
}
`;

/** One workgroup per 256-coordinate block: block max of q >> 6, then stochastic codes in -levels..levels. */
export const QUANTIZE_WGSL = WGSL_COMMON + /* wgsl */ `
struct Params { len: u32, k0: u32, k1: u32, base: u32, levels: i32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read_write> codes: array<u32>;
@group(0) @binding(3) var<storage, read_write> maxes: array<i32>;
var<workgroup> red: array<i32, 256>;
var<workgroup> cs: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = wid.y * nwg.x + wid.x;
  if (b * 256u >= p.len) { return; }
  let i = b * 256u + lid.x;
  var v = 0;
  if (i < p.len) { v = x[i] >> 6u; }
  red[lid.x] = abs(v);
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[0];
  var code = 0;
  if (m > 0 && i < p.len) {
    let t = v * p.levels;
    var a = t / m;
    if (t % m != 0 && t < 0) { a -= 1; }
    let rem = t - a * m;
    let up = mulhi32(philox(p.k0, p.k1, p.base + i, 1u), u32(m)) < u32(rem);
    code = a + select(0, 1, up);
  }
  cs[lid.x] = bitcast<u32>(code) & 0xffu;
  workgroupBarrier();
  if (lid.x < 64u) {
    let j = lid.x * 4u;
    codes[b * 64u + lid.x] = cs[j] | (cs[j + 1u] << 8u) | (cs[j + 2u] << 16u) | (cs[j + 3u] << 24u);
  }
  if (lid.x == 0u) { maxes[b] = m; }
}
`;
