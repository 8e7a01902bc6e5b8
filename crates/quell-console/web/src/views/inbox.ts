// The inbox (#/inbox?filters): behaviour clusters, newest activity first, with the verdict
// on their newest alert, a sparkline of their trend and the decision if any. Filters live in
// the URL hash (a reload or a shared link shows the same list); j/k move, Enter opens.

import type { Ctx, Params } from '../main';
import { query } from '../api';
import { h, mount, s, debounce, fmtTime } from '../dom';

export interface InboxCluster {
  id: number;
  rule: string;
  priority: string;
  hostname: string;
  image: string | null;
  namespace: string | null;
  count: number;
  first_ns: number;
  last_ns: number;
  verdict: string | null;
  verdict_text: string | null;
  score: number | null;
  summary: string | null;
  decision: { decision: string; actor: string; at_ns: number; reason: string } | null;
  trend: { start_ns: number; bucket_ns: number; counts: number[] } | null;
  latest_alert_id: number | null;
}

interface InboxPage {
  clusters: InboxCluster[];
  next_cursor: string | null;
  partial: boolean;
}

const FILTERS = ['rule', 'priority', 'host', 'image', 'namespace', 'verdict', 'decision', 'range', 'since', 'until', 'q'] as const;
const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
const RANGES: Record<string, number> = { '1h': 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400 };

// Cursors of the pages before the current one (Back to the previous page).
let cursors: string[] = [];

/** A sparkline of `counts` as an inline SVG built from nodes. */
export function sparkline(counts: number[], label: string): SVGElement {
  const w = 96;
  const hgt = 20;
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? w / (counts.length - 1) : w;
  const points = counts.map((c, i) => `${(i * step).toFixed(1)},${(hgt - 1 - (c / max) * (hgt - 2)).toFixed(1)}`).join(' ');
  return s('svg', { class: 'spark', width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': label },
    s('title', null, label),
    s('polyline', { points }));
}

/** The verdict as a coloured label with its score. */
export function verdictLabel(verdict: string | null, text: string | null, score: number | null): HTMLElement {
  if (!verdict) return h('span', { class: 'muted' }, '—');
  // The score is triage's estimated probability of a false positive (0 to 1).
  const sc = score === null || score === undefined ? null : h('span', { class: 'score', title: 'P(false positive)' }, ` ${score.toFixed(2)}`);
  return h('span', { class: `verdict ${verdict}`, 'data-verdict': verdict }, text || verdict, sc);
}

/** The query of the inbox request from the hash's filters. */
function requestQuery(p: Params, lang: string): string {
  let since = p.since ? toRfc3339(p.since) : undefined;
  if (!since && p.range && RANGES[p.range]) {
    since = new Date(Date.now() - RANGES[p.range] * 1000).toISOString();
  }
  return query({
    rule: p.rule, priority: p.priority, host: p.host, image: p.image, namespace: p.namespace,
    verdict: p.verdict, decision: p.decision, q: p.q, since, until: p.until ? toRfc3339(p.until) : undefined,
    cursor: p.cursor, limit: 50, lang,
  });
}

/** A `datetime-local` value (local time) as RFC 3339 UTC; anything else is passed as given. */
function toRfc3339(v: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) {
    const d = new Date(v);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  return v;
}

function hashOf(p: Params): string {
  const q = new URLSearchParams();
  for (const k of [...FILTERS, 'cursor'] as const) if (p[k]) q.set(k, p[k]);
  const s = q.toString();
  return s ? `#/inbox?${s}` : '#/inbox';
}

export async function render(el: HTMLElement, params: Params, ctx: Ctx): Promise<void> {
  const { t } = ctx;
  if (!params.cursor) cursors = [];
  const current: Params = {};
  for (const k of [...FILTERS, 'cursor'] as const) if (params[k]) current[k] = params[k];

  const go = (changes: Params) => {
    const next: Params = { ...current, ...changes };
    for (const k of Object.keys(next)) if (!next[k]) delete next[k];
    if (!('cursor' in changes)) delete next.cursor;
    ctx.navigate(hashOf(next));
  };

  const text = (key: (typeof FILTERS)[number], label: string, attrs: Record<string, unknown> = {}) => {
    const input = h('input', { name: key, value: current[key] ?? '', type: 'text', ...attrs });
    input.addEventListener('change', () => go({ [key]: input.value.trim() }));
    return h('label', null, label, input);
  };
  const select = (key: (typeof FILTERS)[number], label: string, options: [string, string][]) => {
    const sel = h('select', { name: key, onchange: () => go({ [key]: sel.value }) },
      ...options.map(([v, l]) => h('option', { value: v, selected: (current[key] ?? '') === v }, l)));
    return h('label', null, label, sel);
  };
  const free = h('input', { type: 'search', name: 'q', 'data-filter': '', value: current.q ?? '',
    placeholder: t('inbox.search'), 'aria-label': t('inbox.search') });
  free.addEventListener('input', debounce(() => go({ q: free.value.trim() }), 400));

  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
    h('label', null, t('inbox.f.text'), free),
    text('rule', t('inbox.f.rule')),
    select('priority', t('inbox.f.priority'), [['', t('inbox.any')], ...PRIORITIES.map((p) => [p, `≥ ${p}`] as [string, string])]),
    text('host', t('inbox.f.host')),
    text('image', t('inbox.f.image')),
    text('namespace', t('inbox.f.namespace')),
    select('verdict', t('inbox.f.verdict'), [['', t('inbox.any')], ['likely_real', t('verdict.likely_real')],
      ['uncertain', t('verdict.uncertain')], ['likely_false_positive', t('verdict.likely_false_positive')]]),
    select('decision', t('inbox.f.decision'), [['', t('inbox.any')], ['none', t('decision.none')], ['benign', t('decision.benign')],
      ['real', t('decision.real')], ['investigating', t('decision.investigating')]]),
    select('range', t('inbox.f.range'), [['', t('inbox.range.all')], ['1h', t('inbox.range.1h')], ['24h', t('inbox.range.24h')],
      ['7d', t('inbox.range.7d')], ['30d', t('inbox.range.30d')]]),
    text('since', t('inbox.f.since'), { type: 'datetime-local', step: 1 }),
    text('until', t('inbox.f.until'), { type: 'datetime-local', step: 1 }),
    Object.keys(current).length ? h('button', { type: 'button', class: 'link', onclick: () => ctx.navigate('#/inbox') }, t('inbox.clear')) : null,
  );

  const status = h('p', { class: 'muted', id: 'inbox-status' }, t('common.loading'));
  const tableHolder = h('div');
  mount(el, h('h1', null, t('nav.inbox')), filters, status, tableHolder);

  const page = await ctx.api<InboxPage>('GET', `api/v1/inbox${requestQuery(current, ctx.lang)}`);
  const rows: HTMLTableRowElement[] = [];
  let selected = 0;
  const chosen = new Set<number>();
  const tuneBtn = h('button', { type: 'button', id: 'tune-selected', disabled: true,
    onclick: () => ctx.navigate(`#/tune?clusters=${[...chosen].join(',')}`) }, t('inbox.tune_selected'));

  const select_ = (i: number, focus = true) => {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => {
      r.classList.toggle('selected', j === selected);
      r.setAttribute('aria-selected', String(j === selected));
    });
    if (focus) rows[selected].focus();
  };
  const open = (c: InboxCluster) => {
    if (c.latest_alert_id !== null && c.latest_alert_id !== undefined) ctx.navigate(`#/alerts/${c.latest_alert_id}?cluster=${c.id}`);
  };

  for (const c of page.clusters) {
    const box = h('input', { type: 'checkbox', 'aria-label': t('inbox.select'),
      onclick: (e: Event) => e.stopPropagation(),
      onchange: () => {
        if (box.checked) chosen.add(c.id);
        else chosen.delete(c.id);
        tuneBtn.disabled = chosen.size === 0 || ctx.role !== 'admin';
      } });
    const where = [c.hostname, c.image, c.namespace].filter(Boolean).join(' · ');
    const d = c.decision;
    const row = h('tr', { class: 'row', tabindex: '0', 'data-cluster': c.id, 'data-rule': c.rule,
      onclick: () => open(c),
      onfocus: () => select_(rows.indexOf(row), false),
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          open(c);
        }
      } },
      h('td', null, box),
      h('td', null, h('span', { class: `prio ${c.priority}` }, c.priority)),
      h('td', { class: 'rule' }, c.rule, c.summary ? h('div', { class: 'muted summary', title: c.summary }, c.summary) : null),
      h('td', null, verdictLabel(c.verdict, c.verdict_text, c.score)),
      h('td', { class: 'num' }, String(c.count)),
      h('td', null, fmtTime(c.first_ns, ctx.lang)),
      h('td', null, fmtTime(c.last_ns, ctx.lang)),
      h('td', null, c.trend ? sparkline(c.trend.counts, t('inbox.trend', { n: c.trend.counts.reduce((a, b) => a + b, 0) })) : null),
      h('td', { class: 'where' }, where),
      h('td', { class: 'decision' }, d ? `${t(`decision.${d.decision}` as any)} · ${d.actor}` : t('common.none')),
    );
    rows.push(row);
  }

  if (!page.clusters.length) {
    mount(tableHolder, h('p', { id: 'inbox-empty' }, t('inbox.empty')));
  } else {
    mount(tableHolder,
      h('table', { class: 'grid', id: 'inbox' },
        h('thead', null, h('tr', null,
          h('th', null, ''), h('th', null, t('inbox.c.priority')), h('th', null, t('inbox.c.rule')),
          h('th', null, t('inbox.c.verdict')), h('th', null, t('inbox.c.count')), h('th', null, t('inbox.c.first')),
          h('th', null, t('inbox.c.last')), h('th', null, t('inbox.c.trend')), h('th', null, t('inbox.c.where')),
          h('th', null, t('inbox.c.decision')))),
        h('tbody', null, ...rows)),
      h('div', { class: 'pager' },
        tuneBtn,
        cursors.length || current.cursor ? h('button', { type: 'button', id: 'prev-page', onclick: () => {
          const prev = cursors.pop();
          go({ cursor: prev ?? '' });
        } }, t('inbox.prev')) : null,
        page.next_cursor ? h('button', { type: 'button', id: 'next-page', onclick: () => {
          cursors.push(current.cursor ?? '');
          go({ cursor: page.next_cursor ?? '' });
        } }, t('common.next')) : null,
      ));
  }
  mount(status, t('inbox.count', { n: page.clusters.length }), page.partial ? ` ${t('inbox.partial')}` : '');
  select_(0, false);

  ctx.onKey((e) => {
    if (e.key === 'j') select_(selected + 1);
    else if (e.key === 'k') select_(selected - 1);
    else if (e.key === 'Enter' && page.clusters[selected]) open(page.clusters[selected]);
    else return false;
    return true;
  });
}
