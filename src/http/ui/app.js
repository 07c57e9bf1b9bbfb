// murmur's operator dashboard: plain DOM and SVG, no dependencies, polling the node's own API.
'use strict';
(() => {
  const POLL_MS = Number(new URLSearchParams(location.search).get('poll')) || 2000;
  const MAX_FEEDS = 8;
  const MAX_POINTS = 500;
  const SVG = 'http://www.w3.org/2000/svg';
  const rates = [];
  const aggregates = new Map(); // feed -> [{t, price}]
  let last = null;

  const $ = (id) => document.getElementById(id);
  const get = async (path) => {
    const r = await fetch(path, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.headers.get('content-type')?.includes('json') ? r.json() : r.text();
  };
  const el = (name, attrs = {}, text) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const rows = (table, data) => {
    const body = $(table).querySelector('tbody');
    body.replaceChildren(...data.map((cells) => {
      const tr = document.createElement('tr');
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.append(td);
      }
      return tr;
    }));
  };

  /** A scatter of (t, value ± confidence) with an optional line, scaled into the SVG's viewBox (640 wide). */
  function chart(svg, points, line) {
    const W = 640, H = svg.viewBox.baseVal.height || 180, L = 60, B = 20;
    svg.replaceChildren();
    const all = [...points.map((p) => [p.t, p.v - p.c, p.v + p.c]), ...line.map((p) => [p.t, p.v, p.v])];
    if (all.length === 0) return;
    const t0 = Math.min(...all.map((a) => a[0])), t1 = Math.max(...all.map((a) => a[0]), t0 + 1);
    let lo = Math.min(...all.map((a) => a[1])), hi = Math.max(...all.map((a) => a[2]));
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 10);
    const y = (v) => 10 + (1 - (v - lo) / (hi - lo)) * (H - B - 10);
    svg.append(el('line', { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: '#999' }), el('line', { x1: L, y1: 10, x2: L, y2: H - B, stroke: '#999' }));
    svg.append(el('text', { x: 4, y: 14 }, hi.toPrecision(6)), el('text', { x: 4, y: H - B }, lo.toPrecision(6)));
    svg.append(el('text', { x: L, y: H - 4 }, new Date(t0).toLocaleTimeString()), el('text', { x: W - 80, y: H - 4 }, new Date(t1).toLocaleTimeString()));
    for (const p of points) {
      svg.append(el('line', { x1: x(p.t), x2: x(p.t), y1: y(p.v - p.c), y2: y(p.v + p.c), stroke: '#9ec5e8' }));
      svg.append(el('circle', { cx: x(p.t), cy: y(p.v), r: 2.5, fill: '#1f77b4', 'data-value': p.raw, 'data-author': p.author }));
    }
    if (line.length > 1) svg.append(el('polyline', { points: line.map((p) => `${x(p.t)},${y(p.v)}`).join(' '), fill: 'none', stroke: '#d62728', 'stroke-width': 1.5 }));
  }

  async function feeds() {
    const list = (await get(`/v1/feeds?limit=${MAX_FEEDS}`)).feeds;
    const box = $('feeds');
    for (const feed of list) {
      let section = box.querySelector(`[data-feed-section="${CSS.escape(feed)}"]`);
      if (section === null) {
        section = document.createElement('div');
        section.dataset.feedSection = feed;
        const h = document.createElement('h3');
        h.textContent = feed;
        section.append(h, el('svg', { class: 'chart', viewBox: '0 0 640 180', 'data-feed': feed, role: 'img', 'aria-label': `${feed} price` }));
        box.append(section);
      }
      const q = encodeURIComponent(feed);
      let page = await get(`/v1/attestations?feed=${q}&limit=${MAX_POINTS}`);
      if (page.total > MAX_POINTS) page = await get(`/v1/attestations?feed=${q}&offset=${page.total - MAX_POINTS}&limit=${MAX_POINTS}`);
      const points = page.attestations.map((a) => ({ t: a.observedAtMs, v: Number(a.value), c: Number(a.confidence), raw: a.value, author: a.author }));
      const agg = await get(`/v1/aggregates/feed?feed=${q}`).catch(() => null);
      const hist = aggregates.get(feed) ?? [];
      if (agg !== null && agg.price !== null) {
        hist.push({ t: Date.now(), v: Number(agg.price) });
        if (hist.length > MAX_POINTS) hist.shift();
        aggregates.set(feed, hist);
      }
      section.querySelector('h3').textContent = agg !== null && agg.price !== null ? `${feed}: ${agg.price} ± ${agg.confidence} (${agg.count} inputs)` : feed;
      chart(section.querySelector('svg'), points, hist);
    }
  }

  async function tick() {
    const [status, peers, evidence, kernels, metrics] = await Promise.all([get('/v1/status'), get('/v1/peers'), get('/v1/evidence?limit=50'), get('/v1/kernels'), get('/metrics').catch(() => '')]);
    const now = Date.now();
    if (last !== null) {
      rates.push({ t: now, v: ((status.updates - last.updates) * 1000) / (now - last.t) });
      if (rates.length > 120) rates.shift();
    }
    last = { t: now, updates: status.updates };
    $('peer-id').textContent = status.peerId;
    $('peers-count').textContent = String(status.peers);
    $('updates').textContent = String(status.updates);
    $('pending').textContent = String(status.pending);
    $('rate').textContent = rates.length === 0 ? '–' : rates[rates.length - 1].v.toFixed(1);
    $('evidence').textContent = String(evidence.total);
    $('kernel').textContent = `${kernels.active ?? kernels.choice}${kernels.reason ? ` (${kernels.reason})` : ''}`;
    const sessions = String(metrics).split('\n').filter((l) => l.startsWith('murmur_sync_sessions_total')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    $('sync-sessions').textContent = String(sessions);
    rows('peers', peers.peers.map((p) => [p.id, p.score.toFixed(2)]));
    rows('rejections', Object.entries(status.stats.rejected).sort((a, b) => b[1] - a[1]));
    rows('evidence-list', evidence.evidence.map((e) => [e.author, e.seq]));
    chart($('rate-chart'), [], rates.map((r) => ({ t: r.t, v: r.v })));
    await feeds();
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.ready = 'true';
  }

  const loop = () => tick().catch((err) => ($('updated').textContent = `error: ${err.message}`)).finally(() => setTimeout(loop, POLL_MS));
  loop();
})();
