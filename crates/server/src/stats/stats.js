// The /stats page: asks GET /v1/admin/stats and shows the figures and a picture of the
// traffic. Every text from the server (tree and node ids, answer values) goes into the
// page through textContent or an SVG text node, never as HTML.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  function pct(part, whole) {
    if (!whole) return '–';
    return (100 * part / whole).toFixed(1) + ' %';
  }

  function duration(s) {
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(s / 3600) + 'h' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
  }

  function row(cells, head) {
    const tr = el('tr');
    cells.forEach((c) => tr.appendChild(el(head ? 'th' : 'td', c)));
    return tr;
  }

  function figures(v) {
    const s = v.sessions;
    const d = s.decided;
    const t = el('table');
    t.appendChild(row(['', 'sessions', 'share of decided'], true));
    t.appendChild(row(['started here', s.started, '']));
    t.appendChild(row(['in progress', s.in_progress, '']));
    t.appendChild(row(['contained', s.resolved, pct(s.resolved, d)]));
    t.appendChild(row(['· fixed', s.fixed, pct(s.fixed, d)]));
    t.appendChild(row(['· informed', s.informed, pct(s.informed, d)]));
    t.appendChild(row(['· waiting', s.waiting, pct(s.waiting, d)]));
    t.appendChild(row(['escalated', s.escalated, pct(s.escalated, d)]));
    t.appendChild(row(['handed off', s.handed_off, pct(s.handed_off, d)]));
    t.appendChild(row(['abandoned', s.abandoned, pct(s.abandoned, d)]));
    t.appendChild(row(['· without an answer', s.abandoned_unanswered, pct(s.abandoned_unanswered, d)]));
    return t;
  }

  function outcomes(v) {
    const t = el('table');
    t.appendChild(row(['to the outcome', 'sessions', 'steps: median', 'p90', 'time: median', 'p90'], true));
    for (const [name, key] of [['resolved', 'resolved'], ['escalated', 'escalated'], ['handed off', 'handed_off']]) {
      const st = v.steps[key];
      const se = v.seconds[key];
      if (!st || !se) continue;
      t.appendChild(row([name, st.count, st.median, st.p90, duration(se.median), duration(se.p90)]));
    }
    return t;
  }

  function ends(v) {
    const ul = el('ul', null, 'ends');
    const names = { resolved: 'resolved at', escalated: 'escalated at', handed_off: 'hand-off asked at', abandoned: 'abandoned at' };
    for (const e of v.ends) {
      const place = e.tree === v.tree ? e.node : e.tree + '/' + e.node;
      const kind = e.resolution ? ' [' + e.resolution + ']' : '';
      ul.appendChild(el('li', names[e.outcome] + ' ' + place + kind + ': ' + e.sessions));
    }
    return ul;
  }

  function questions(v) {
    const t = el('table');
    t.appendChild(row(['question', 'sessions', 'shown', 'answered', 'went back', 'handed off', 'dropped', 'in progress', 'answers'], true));
    for (const q of v.questions) {
      const tr = row([q.node, q.sessions, q.shown, q.answered, q.went_back, q.handed_off, q.dropped, q.in_progress]);
      const shares = q.answers.slice(0, 6).map((a) => String(a.value) + ' ' + Math.round(a.share * 100) + ' %');
      if (q.answers.length > 6 || q.other_values > 0) shares.push('…');
      tr.appendChild(el('td', shares.join(', '), 'answers'));
      t.appendChild(tr);
    }
    return t;
  }

  const FILL = { question: '#e3f2fd', decision: '#eeeeee', resolve: '#c8e6c9', escalate: '#ffccbc', goto: '#e1f5fe' };

  // Nodes in layers (fewest edges from the start), edges as lines whose width and
  // opacity follow the share of sessions that took them.
  function picture(p) {
    const W = 150, H = 46, GX = 30, GY = 60;
    const layers = [];
    p.nodes.forEach((n, i) => { (layers[n.depth] = layers[n.depth] || []).push(i); });
    const width = Math.max(...layers.map((l) => (l ? l.length : 0)), 1) * (W + GX) + GX;
    const pos = [];
    layers.forEach((layer, d) => {
      if (!layer) return;
      const offset = (width - layer.length * (W + GX) + GX) / 2;
      layer.forEach((n, k) => { pos[n] = { x: offset + k * (W + GX), y: GY / 2 + d * (H + GY) }; });
    });
    const height = layers.length * (H + GY) + GY / 2;
    const root = svg('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    const title = svg('title');
    title.textContent = p.tree + ' ' + p.fingerprint + ': traffic of ' + p.sessions + ' session(s)';
    root.appendChild(title);
    const share = (n) => (p.sessions ? n / p.sessions : 0);
    for (const e of p.edges) {
      const a = pos[e.from], b = pos[e.to];
      if (!a || !b) continue;
      const s = share(e.sessions);
      const line = svg('line', {
        x1: a.x + W / 2, y1: a.y + H, x2: b.x + W / 2, y2: b.y,
        stroke: e.sessions ? '#1565c0' : '#bdbdbd',
        'stroke-width': (1 + 7 * s).toFixed(1),
        'stroke-opacity': e.sessions ? (0.35 + 0.65 * s).toFixed(2) : 0.6,
        'stroke-dasharray': e.sessions ? '' : '4 4',
      });
      const t = svg('title');
      t.textContent = e.label + ': ' + e.sessions + ' session(s), ' + pct(e.sessions, p.sessions);
      line.appendChild(t);
      root.appendChild(line);
    }
    p.nodes.forEach((n, i) => {
      const at = pos[i];
      if (!at) return;
      const g = svg('g');
      g.appendChild(svg('rect', {
        x: at.x, y: at.y, width: W, height: H, rx: n.kind === 'question' ? 4 : 14,
        fill: FILL[n.kind] || '#fff',
        stroke: n.dropped ? '#c62828' : '#9e9e9e', 'stroke-width': n.dropped ? 2.5 : 1,
      }));
      const id = svg('text', { x: at.x + 6, y: at.y + 17 });
      id.textContent = n.id.length > 22 ? n.id.slice(0, 21) + '…' : n.id;
      g.appendChild(id);
      const figures = svg('text', { x: at.x + 6, y: at.y + 35 });
      figures.textContent = pct(n.sessions, p.sessions) + ' (' + n.sessions + ')' + (n.dropped ? ' · ' + n.dropped + ' dropped' : '');
      g.appendChild(figures);
      const t = svg('title');
      t.textContent = n.kind + ' ' + n.id + ': ' + n.sessions + ' session(s) passed, ' + n.dropped + ' abandoned here';
      g.appendChild(t);
      root.appendChild(g);
    });
    const box = el('div', null, 'picture');
    box.appendChild(root);
    return box;
  }

  function render(data) {
    const out = $('out');
    out.replaceChildren();
    const r = data.report;
    const pictures = new Map(data.pictures.map((p) => [p.tree + ' ' + p.fingerprint, p]));
    const skipped = r.skipped;
    out.appendChild(el('p', r.events + ' event(s) counted; abandoned after ' + r.idle_minutes +
      ' min without an event; not counted: ' + (skipped.unreadable + skipped.orphans + skipped.before_range + skipped.after_range)));
    if (!r.versions.length) out.appendChild(el('p', 'No events in this range.'));
    for (const v of r.versions) {
      const section = el('section', null, 'version');
      section.appendChild(el('h2', v.tree + ' · version ' + (v.version === null ? '?' : v.version) + ' · ' + v.fingerprint));
      section.appendChild(el('p', 'events ' + v.first_event + ' – ' + v.last_event + '; ' + v.visitors + ' session(s) passed through'));
      section.appendChild(figures(v));
      section.appendChild(outcomes(v));
      section.appendChild(ends(v));
      if (v.questions.length) section.appendChild(questions(v));
      const p = pictures.get(v.tree + ' ' + v.fingerprint);
      if (p) {
        section.appendChild(el('p', 'Traffic: line width = share of the sessions that took the edge; red border = sessions abandoned at that node; dashed = no session.', 'legend'));
        section.appendChild(picture(p));
      }
      out.appendChild(section);
    }
  }

  async function show(event) {
    event.preventDefault();
    const status = $('status');
    const token = $('token').value;
    sessionStorage.setItem('troubletree-admin-token', token);
    const params = new URLSearchParams();
    for (const name of ['tree', 'since', 'until']) {
      const value = $(name).value.trim();
      if (value) params.set(name, value);
    }
    status.className = '';
    status.textContent = 'Counting…';
    try {
      const response = await fetch('/v1/admin/stats?' + params.toString(), {
        headers: { Authorization: 'Bearer ' + token },
      });
      const body = await response.json();
      if (!response.ok) {
        status.className = 'error';
        status.textContent = body.detail || ('HTTP ' + response.status);
        return;
      }
      status.textContent = '';
      render(body);
    } catch (e) {
      status.className = 'error';
      status.textContent = 'The service did not answer: ' + e;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token').value = sessionStorage.getItem('troubletree-admin-token') || '';
    $('query').addEventListener('submit', show);
  });
})();
