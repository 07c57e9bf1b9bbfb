import type { ErrorSample } from '../recorder.js';
import type { SimResult } from '../summary.js';
import { barChart, esc, lineChart, type Band, type Mark, type Series } from './svg.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const s = (ms: number): number => ms / 1000;

function bands(r: SimResult): Band[] {
  const out: Band[] = [];
  let open: number | null = null;
  for (const e of r.events) {
    if (e.kind === 'partition') open = e.t;
    if (e.kind === 'heal' && open !== null) {
      out.push({ from: s(open), to: s(e.t), label: `partitioned ${s(open).toFixed(1)}–${s(e.t).toFixed(1)} s` });
      open = null;
    }
  }
  return out;
}

function marks(r: SimResult): Mark[] {
  const color = { offline: '#ff7f0e', online: '#2ca02c', 'traffic-end': '#333', heal: '#d62728', partition: '#d62728' } as const;
  return r.events.filter((e) => e.kind !== 'partition' && e.kind !== 'heal').map((e) => ({ at: s(e.t), label: `${e.kind} ${e.detail} at ${s(e.t).toFixed(1)} s`, color: color[e.kind] }));
}

function convergenceChart(r: SimResult): string {
  const max: [number, number][] = [];
  const median: [number, number][] = [];
  for (const x of r.samples) {
    const m = x.missing.filter((v): v is number => v !== null).sort((a, b) => a - b);
    if (m.length === 0) continue;
    max.push([s(x.t), m[m.length - 1]!]);
    median.push([s(x.t), m[Math.floor(m.length / 2)]!]);
  }
  return lineChart({
    series: [
      { label: 'most updates lacked by an honest node', color: COLORS[1]!, points: max },
      { label: 'median over honest nodes', color: COLORS[0]!, points: median },
    ],
    bands: bands(r),
    marks: marks(r),
    xLabel: 'time (s); shaded: partitioned; dashed: churn and end of traffic',
    yLabel: 'updates lacked',
  });
}

function errorChart(errors: readonly ErrorSample[], kind: 'feed' | 'delta', r: SimResult): string {
  const rules = [...new Set(errors.filter((e) => e.kind === kind).map((e) => e.rule))];
  if (rules.length === 0) return '';
  const series: Series[] = rules.map((rule, k) => {
    const bins = new Map<number, { sum: number; n: number }>();
    for (const e of errors) {
      if (e.kind !== kind || e.rule !== rule) continue;
      const b = Math.round(s(e.t));
      const x = bins.get(b) ?? { sum: 0, n: 0 };
      bins.set(b, { sum: x.sum + e.error, n: x.n + 1 });
    }
    return { label: rule, color: COLORS[k % COLORS.length]!, points: [...bins].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, v.sum / v.n] as [number, number]) };
  });
  const what = kind === 'feed' ? 'relative error of the feed aggregate vs the true price (mean over feeds and sampled nodes)' : 'distance of the round aggregate from the honest mean gradient / mean honest gradient norm';
  return `<h3>${kind === 'feed' ? 'Oracle feeds' : 'Model deltas'}</h3><p>${what}. Log scale.</p>${lineChart({ series, bands: bands(r), xLabel: 'time (s)', yLabel: 'error', logY: true })}`;
}

function table(rows: [string, string][], cls = ''): string {
  return `<table class="${cls}">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

/** The self-contained HTML report of one run: verdicts, what happened, convergence, errors, latency. */
export function renderReport(r: SimResult, command: string): string {
  const sc = r.scenario;
  const verdict = r.passed ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>';
  const criteria = `<table><tr><th>criterion</th><th>bound</th><th>value</th><th></th></tr>${r.criteria
    .map((c) => `<tr><td>${esc(c.metric)}</td><td>${c.min !== undefined ? `≥ ${c.min}` : ''} ${c.max !== undefined ? `≤ ${c.max}` : ''}</td><td>${esc(JSON.stringify(c.value))}</td><td>${c.pass ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>'}</td></tr>`)
    .join('')}</table>`;
  const secagg =
    r.secagg.length === 0
      ? ''
      : `<h3>Secure-aggregation rounds</h3><table><tr><th>round</th><th>members</th><th>dropped (phase)</th><th>status</th><th>reason</th><th>survivors</th><th>Byzantine survivors</th><th>exact</th><th>honest nodes agree</th></tr>${r.secagg
          .map((x) => `<tr><td>${x.round}</td><td>${x.members}</td><td>${esc(x.dropped.map((d) => `${d.member.slice(0, 8)} (${d.phase})`).join(', ') || '—')}</td><td>${esc(x.status)}</td><td>${esc(x.reason ?? '—')}</td><td>${x.survivors}</td><td>${x.byzantineSurvivors}</td><td>${x.exact === null ? '—' : x.exact}</td><td>${x.digestsAgree}</td></tr>`)
          .join('')}</table>`;
  const arb =
    r.arbsphere === undefined
      ? ''
      : `<h3>ArbSphere: plan and dual trajectories</h3><p>Venue A's hedge position by iteration (venue B holds its negative at convergence), the scaled dual u (the shadow price of imbalance is ρu), and the centralized optimum ${r.arbsphere.optimum.toFixed(6)}. Partitions are shaded in the timeline above.</p>${lineChart({
          series: [
            { label: "venue A's position", color: COLORS[0]!, points: r.arbsphere.trajectory.map((t) => [t.iteration, t.size] as [number, number]) },
            { label: 'scaled dual u', color: COLORS[1]!, points: r.arbsphere.trajectory.map((t) => [t.iteration, t.u] as [number, number]) },
            { label: 'centralized optimum', color: COLORS[2]!, points: r.arbsphere.trajectory.map((t) => [t.iteration, r.arbsphere!.optimum] as [number, number]) },
          ],
          bands: [],
          marks: [],
          xLabel: 'ADMM iteration',
          yLabel: 'position',
        })}`;
  const heals = r.heals.length === 0 ? '' : `<h3>After each heal</h3><table><tr><th>heal at (s)</th><th>honest nodes converged after (ms), each</th></tr>${r.heals.map((h) => `<tr><td>${s(h.t).toFixed(1)}</td><td>${h.convergeMs.map((x) => (x === null ? '—' : x.toFixed(0))).join(', ')}</td></tr>`).join('')}</table>`;
  const events = r.events.map((e) => `${s(e.t).toFixed(2)} s  ${e.kind} ${e.detail}`).join('\n');
  const lat = r.latency;
  const latLabels = lat.edgesMs.map((e, k) => (k + 1 < lat.edgesMs.length ? `${e}–${lat.edgesMs[k + 1]}` : `≥${e}`));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>murmur simulation: ${esc(sc.name)}</title>
<style>
body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}
.pass{color:#fff;background:#2a7d2a;padding:1px 6px;border-radius:3px}.fail{color:#fff;background:#b42323;padding:1px 6px;border-radius:3px}
.legend span{margin-right:1.2em;font-size:12px}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}code{background:#f6f6f6}
</style></head><body>
<h1>${esc(sc.name)} ${verdict}</h1>
<p>${esc(sc.description)}</p>
<p>Produced by <code>${esc(command)}</code> (seed ${r.seed}). ${sc.nodes} real murmur nodes in one process over libp2p's ${sc.transport === 'memory' ? 'in-memory' : 'TCP'} transport, Noise, yamux and gossipsub; links ${sc.link.latencyMs}±${sc.link.jitterMs} ms, gossip loss ${(sc.link.loss * 100).toFixed(1)}%.</p>
<h2>Pass criteria</h2>${criteria}
<h2>Convergence</h2>
<p>How many of the updates held by any honest node each honest node still lacked. All honest digests are equal exactly when this is 0 everywhere.</p>
${convergenceChart(r)}${heals}${secagg}${arb}
<h2>Aggregate error</h2>${errorChart(r.errors, 'feed', r)}${errorChart(r.errors, 'delta', r)}${r.errors.length === 0 ? '<p>No aggregates in this scenario.</p>' : ''}
<h2>Publish-to-apply latency</h2>
<p>From a contributor's submission to its node until each other honest node applied the update (${r.summary.latency_samples} samples; p50 ${r.summary.latency_ms_p50} ms, p99 ${r.summary.latency_ms_p99} ms). Updates published during a partition wait for the heal.</p>
${barChart({ labels: latLabels, values: lat.counts, xLabel: 'latency (ms)', yLabel: 'samples', color: COLORS[0]! })}
<h2>All measurements</h2>${table(Object.entries(r.summary).map(([k, v]) => [k, JSON.stringify(v)]))}
<h2>Events</h2><pre>${esc(events)}</pre>
<details><summary>Scenario</summary><pre>${esc(JSON.stringify(sc, null, 1))}</pre></details>
</body></html>
`;
}
