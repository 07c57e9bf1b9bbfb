/** Minimal SVG charts for the self-contained report: no scripts, no external assets. */

export const CHART_W = 760;
export const CHART_H = 260;
const PAD = { l: 64, r: 16, t: 14, b: 36 };

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

export interface Band {
  from: number;
  to: number;
  label: string;
}

export interface Mark {
  at: number;
  label: string;
  color: string;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : Math.abs(x) >= 1 ? Number(x.toPrecision(3)).toString() : x === 0 ? '0' : x.toPrecision(2));

function ticks(lo: number, hi: number, n = 5): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / n || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= n) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(v);
  return out;
}

/** A line chart; `logY` plots log10 of y (values <= 0 are clamped to the smallest positive one). */
export function lineChart(o: { series: Series[]; bands?: Band[]; marks?: Mark[]; xLabel: string; yLabel: string; logY?: boolean }): string {
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) return '<p class="empty">no data</p>';
  const positive = all.map((p) => p[1]).filter((y) => y > 0);
  const floor = positive.length > 0 ? Math.min(...positive) : 1;
  const ty = (y: number): number => (o.logY === true ? Math.log10(Math.max(y, floor)) : y);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => ty(p[1]));
  const [x0, x1] = [Math.min(...xs, ...(o.bands ?? []).map((b) => b.from)), Math.max(...xs, ...(o.bands ?? []).map((b) => b.to))];
  let [y0, y1] = [Math.min(...ys, o.logY === true ? Infinity : 0), Math.max(...ys)];
  if (y1 === y0) y1 = y0 + 1;
  if (o.logY === true) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  const W = CHART_W - PAD.l - PAD.r;
  const H = CHART_H - PAD.t - PAD.b;
  const sx = (x: number): number => PAD.l + ((x - x0) / (x1 - x0 || 1)) * W;
  const sy = (y: number): number => PAD.t + H - ((ty(y) - y0) / (y1 - y0)) * H;
  const yTicks = o.logY === true ? Array.from({ length: y1 - y0 + 1 }, (_, k) => y0 + k) : ticks(y0, y1);
  const parts: string[] = [];
  for (const b of o.bands ?? []) parts.push(`<rect x="${sx(b.from).toFixed(1)}" y="${PAD.t}" width="${(sx(b.to) - sx(b.from)).toFixed(1)}" height="${H}" fill="#f3d9d9"><title>${esc(b.label)}</title></rect>`);
  for (const v of yTicks) {
    const y = PAD.t + H - ((v - y0) / (y1 - y0)) * H;
    parts.push(`<line x1="${PAD.l}" x2="${PAD.l + W}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/><text x="${PAD.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${o.logY === true ? fmt(10 ** v) : fmt(v)}</text>`);
  }
  for (const v of ticks(x0, x1, 10)) parts.push(`<text x="${sx(v).toFixed(1)}" y="${PAD.t + H + 16}" text-anchor="middle">${fmt(v)}</text>`);
  for (const m of o.marks ?? []) parts.push(`<line x1="${sx(m.at).toFixed(1)}" x2="${sx(m.at).toFixed(1)}" y1="${PAD.t}" y2="${PAD.t + H}" stroke="${m.color}" stroke-dasharray="4 3"><title>${esc(m.label)}</title></line>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${esc(s.label)}</title></path>`);
  }
  parts.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W}" height="${H}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${PAD.l + W / 2}" y="${CHART_H - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${PAD.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  return svg(parts) + legend(o.series);
}

/** A bar chart of labelled counts. */
export function barChart(o: { labels: string[]; values: number[]; xLabel: string; yLabel: string; color: string }): string {
  const max = Math.max(1, ...o.values);
  const W = CHART_W - PAD.l - PAD.r;
  const H = CHART_H - PAD.t - PAD.b;
  const bw = W / o.values.length;
  const parts: string[] = [];
  for (const v of ticks(0, max)) {
    const y = PAD.t + H - (v / max) * H;
    parts.push(`<line x1="${PAD.l}" x2="${PAD.l + W}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/><text x="${PAD.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  o.values.forEach((v, k) => {
    const h = (v / max) * H;
    parts.push(`<rect x="${(PAD.l + k * bw + 2).toFixed(1)}" y="${(PAD.t + H - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${o.color}"><title>${esc(o.labels[k]!)}: ${v}</title></rect>`);
    parts.push(`<text x="${(PAD.l + (k + 0.5) * bw).toFixed(1)}" y="${PAD.t + H + 14}" text-anchor="middle" font-size="10">${esc(o.labels[k]!)}</text>`);
  });
  parts.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W}" height="${H}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${PAD.l + W / 2}" y="${CHART_H - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${PAD.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  return svg(parts);
}

function svg(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_W} ${CHART_H}" width="${CHART_W}" height="${CHART_H}" font-family="sans-serif" font-size="11">${parts.join('')}</svg>`;
}

function legend(series: Series[]): string {
  return `<div class="legend">${series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.label)}</span>`).join('')}</div>`;
}

export { esc };
