// Alert detail (#/alerts/ID[?cluster=C]): every field, the process lineage as a tree, the
// session's timeline around the alert, the verdict with each reason and its weight, what to
// confirm, the decision buttons, and the assistant panel (views/assistant.ts); "propose
// exception" leads to the tune view.

import type { Ctx, Params } from '../main';
import { ApiError, query } from '../api';
import { h, mount, fmtTime, str } from '../dom';
import { verdictLabel } from './inbox';
import { assistantPanel } from './assistant';

interface Reason {
  signal: string;
  evidence: string;
  effect: number;
}

interface Triage {
  verdict: string;
  verdict_text: string;
  score: number;
  summary: string;
  reasons: Reason[];
  confirm: string[];
  anchor: string | null;
}

interface LineageItem {
  pid?: number | null;
  name?: string | null;
  exe?: string | null;
  cmdline?: string | null;
  user?: string | null;
  tty?: number | string | null;
}

interface AlertView {
  id: number;
  time_ns: number;
  received_ns: number;
  rule: string;
  priority: string;
  hostname: string;
  container_id: string | null;
  container_image: string | null;
  k8s_namespace: string | null;
  source: string;
  sensor: string;
  cluster_id: number;
  alert: Record<string, any>;
  context?: Record<string, any>;
  triage?: Triage;
  lineage?: LineageItem[];
}

interface TimelineItem {
  time_ns: number;
  kind: string;
  text: string;
  alert_id?: number | null;
  rule?: string | null;
  this?: boolean;
}

interface Timeline {
  session: { key: string; kind: string } | null;
  items: TimelineItem[];
}

function fieldsTable(rows: [string, unknown][]): HTMLTableElement {
  return h('table', { class: 'fields' },
    h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, str(v))))));
}

/** The lineage from the alert's fields when the server gave none: the process, its parent, ancestors. */
function lineageFromFields(f: Record<string, unknown>): LineageItem[] {
  const out: LineageItem[] = [];
  const get = (k: string) => (f[k] === undefined ? null : (f[k] as any));
  if (get('proc.name') !== null || get('proc.cmdline') !== null) {
    out.push({ pid: get('proc.pid'), name: get('proc.name'), exe: get('proc.exepath') ?? get('proc.exe'),
      cmdline: get('proc.cmdline'), user: get('user.name'), tty: get('proc.tty') });
  }
  if (get('proc.pname') !== null) out.push({ pid: get('proc.ppid'), name: get('proc.pname'), cmdline: get('proc.pcmdline') });
  for (let i = 2; i < 8; i++) {
    const n = get(`proc.aname[${i}]`);
    if (n === null) break;
    out.push({ pid: get(`proc.apid[${i}]`), name: n });
  }
  return out;
}

/** The lineage as nested lists: the oldest ancestor outermost, the alert's process innermost. */
function lineageTree(items: LineageItem[], t: Ctx['t']): HTMLElement {
  if (!items.length) return h('p', { class: 'muted' }, t('alert.no_lineage'));
  let inner: HTMLElement | null = null;
  items.forEach((p, i) => {
    const label = h('span', { class: 'mono' },
      `${p.name ?? '?'}${p.pid !== null && p.pid !== undefined ? ` [${p.pid}]` : ''}`,
      p.user ? ` (${p.user})` : '',
      p.cmdline ? h('div', { class: 'muted' }, p.cmdline) : null,
      p.exe && p.exe !== p.cmdline ? h('div', { class: 'muted' }, p.exe) : null);
    const li = h('li', { class: i === 0 ? 'this' : '' }, i === 0 ? h('strong', null, label) : label, inner);
    inner = h('ul', null, li);
  });
  const tree = inner as unknown as HTMLElement;
  tree.classList.add('tree');
  tree.id = 'lineage';
  return tree;
}

function reasonsList(tr: Triage, t: Ctx['t']): HTMLElement {
  const sorted = [...tr.reasons].sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
  return h('ul', { class: 'reasons', id: 'reasons' },
    ...sorted.map((r) => h('li', { 'data-signal': r.signal },
      h('span', { class: `weight ${r.effect < 0 ? 'pos' : 'neg'}`, title: t('alert.weight_help') },
        `${r.effect >= 0 ? '+' : '−'}${Math.abs(r.effect).toFixed(2)}`), ' ',
      r.evidence, ' ', h('span', { class: 'muted' }, `(${r.signal})`))));
}

export async function render(el: HTMLElement, params: Params, ctx: Ctx): Promise<void> {
  const { t } = ctx;
  const id = Number(params.id);
  if (!Number.isSafeInteger(id)) throw new Error(t('alert.bad_id'));
  mount(el, h('p', null, t('common.loading')));
  const a = await ctx.api<AlertView>('GET', `api/v1/alerts/${id}${query({ lang: ctx.lang })}`);
  let timeline: Timeline | null = null;
  let timelineError = '';
  try {
    timeline = await ctx.api<Timeline>('GET', `api/v1/alerts/${id}/timeline${query({ window: 600 })}`);
  } catch (e) {
    timelineError = e instanceof ApiError ? e.message : String(e);
  }
  const raw = a.alert ?? {};
  const fields: Record<string, unknown> = raw.output_fields && typeof raw.output_fields === 'object' ? raw.output_fields : {};

  // Every field: the stored columns, the alert's own keys, then each output field.
  const stored: [string, unknown][] = [
    [t('alert.f.id'), a.id], [t('alert.f.time'), fmtTime(a.time_ns, ctx.lang)], [t('alert.f.rule'), a.rule],
    [t('alert.f.priority'), a.priority], [t('alert.f.host'), a.hostname], [t('alert.f.container'), a.container_id],
    [t('alert.f.image'), a.container_image], [t('alert.f.namespace'), a.k8s_namespace], [t('alert.f.source'), a.source],
    [t('alert.f.sensor'), a.sensor], [t('alert.f.cluster'), a.cluster_id],
    [t('alert.f.received'), fmtTime(a.received_ns, ctx.lang)],
  ];
  const own = Object.keys(raw).filter((k) => k !== 'output_fields').sort().map((k) => [k, raw[k]] as [string, unknown]);
  const outputs = Object.keys(fields).sort().map((k) => [k, fields[k]] as [string, unknown]);

  const verdictCard = h('section', { class: 'card', id: 'verdict' });
  const showVerdict = (tr: Triage | undefined) => mount(verdictCard,
    h('h2', null, t('alert.verdict')),
    tr ? [
      h('p', null, verdictLabel(tr.verdict, tr.verdict_text, tr.score)),
      h('p', { id: 'summary' }, tr.summary),
      h('h3', null, t('alert.reasons')),
      h('p', { class: 'muted' }, t('alert.weight_help')),
      reasonsList(tr, t),
      tr.confirm.length ? [h('h3', null, t('alert.confirm')), h('ul', { id: 'confirm' }, ...tr.confirm.map((c) => h('li', null, c)))] : null,
      tr.anchor ? h('p', { class: 'muted' }, t('alert.anchor', { anchor: tr.anchor })) : null,
    ] : h('p', { class: 'muted' }, t('alert.no_triage')));
  showVerdict(a.triage);

  // Decisions.
  const comment = h('textarea', { id: 'decision-comment', 'aria-label': t('alert.comment'), placeholder: t('alert.comment') });
  // Opened from the inbox (a behaviour cluster's row): the decision is the cluster's by default.
  const wholeCluster = h('input', { type: 'checkbox', id: 'decide-cluster', checked: Boolean(params.cluster) });
  const result = h('p', { id: 'decision-result', role: 'status' });
  const readOnly = ctx.role !== 'admin';
  const decide = async (decision: string) => {
    const target = wholeCluster.checked ? { cluster_id: a.cluster_id } : { alert_id: a.id };
    try {
      const d = await ctx.api<{ verdict: string; actor: string }>('POST', 'api/v1/decisions', { ...target, decision, reason: comment.value });
      mount(result, t('alert.decided', { decision: t(`decision.${decision}` as any), actor: d.actor }));
      result.className = 'ok';
      // The decision is history for triage: show the verdict as it now stands.
      const again = await ctx.api<AlertView>('GET', `api/v1/alerts/${id}${query({ lang: ctx.lang })}`);
      showVerdict(again.triage);
    } catch (e) {
      ctx.error(e);
    }
  };
  const decideCard = h('section', { class: 'card decide', id: 'decide' },
    h('h2', null, t('alert.decide')),
    comment,
    h('label', null, wholeCluster, ' ', t('alert.whole_cluster')),
    h('div', { class: 'buttons' },
      ...(['benign', 'real', 'investigating'] as const).map((d) => h('button', { type: 'button', id: `decide-${d}`,
        disabled: readOnly, onclick: () => decide(d) }, t(`decision.${d}`)))),
    readOnly ? h('p', { class: 'muted' }, t('common.readonly')) : null,
    result,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'primary', id: 'propose', disabled: readOnly,
        onclick: () => ctx.navigate(`#/tune?alerts=${a.id}`) }, t('alert.propose'))),
  );

  const lineage = a.lineage && a.lineage.length ? a.lineage : lineageFromFields(fields);
  const timelineCard = h('section', { class: 'card', id: 'timeline-card' },
    h('h2', null, t('alert.timeline')),
    timeline
      ? [
        timeline.session ? h('p', { class: 'muted' }, t('alert.session', { kind: timeline.session.kind, key: timeline.session.key })) : null,
        timeline.items.length
          ? h('ol', { class: 'timeline', id: 'timeline' }, ...timeline.items.map((it) => h('li', { class: it.this ? 'this' : '', 'data-kind': it.kind },
            h('span', { class: 'muted' }, fmtTime(it.time_ns, ctx.lang)), ' ',
            h('span', { class: 'prio' }, t(`timeline.${it.kind}` as any) || it.kind), ' ',
            it.alert_id && !it.this ? h('a', { href: `#/alerts/${it.alert_id}` }, it.text) : h('span', { class: 'mono' }, it.text),
            it.rule ? h('span', { class: 'muted' }, ` (${it.rule})`) : null)))
          : h('p', { class: 'muted' }, t('alert.timeline_empty')),
      ]
      : h('p', { class: 'muted' }, t('alert.timeline_unavailable', { error: timelineError })));

  mount(el,
    h('p', null, h('a', { href: '#/inbox' }, `← ${t('nav.inbox')}`)),
    h('h1', null, a.rule, ' ', h('span', { class: `prio ${a.priority}` }, a.priority)),
    raw.output ? h('pre', { id: 'output' }, str(raw.output)) : null,
    h('div', { class: 'detail' },
      h('div', null,
        verdictCard,
        h('section', { class: 'card' }, h('h2', null, t('alert.lineage')), lineageTree(lineage, t)),
        timelineCard),
      h('div', null,
        decideCard,
        // The assistant beside the detail: about this alert, or its cluster when opened
        // from the inbox's cluster row.
        assistantPanel(ctx, params.cluster ? { cluster_id: a.cluster_id } : { alert_id: a.id }),
        h('section', { class: 'card', id: 'fields' },
          h('h2', null, t('alert.fields')),
          fieldsTable(stored),
          h('h3', null, t('alert.alert_keys')),
          fieldsTable(own),
          h('h3', null, t('alert.output_fields')),
          fieldsTable(outputs)))),
  );
}
