// Tune (#/tune?alerts=1,2&clusters=3): quell's proposed exception for alerts judged benign,
// proven before it is shown: both YAML forms, the verification (loads, benign silenced,
// known attacks and history still alerting, blast radius with examples, near-attacks), the
// alternatives. Editing the block re-verifies it (POST api/v1/tune/check, debounced); Apply
// saves a new rule-set version with the block, a comment and an optional expiry.

import type { Ctx, Params } from '../main';
import { ApiError } from '../api';
import { h, mount, debounce, str } from '../dom';

interface BlastCluster {
  cluster: string;
  verdict: string | null;
  count: number;
  in_benign_set: number;
  marked_real: number;
  examples: string[];
}

export interface Verification {
  loads: boolean;
  errors: string[];
  warnings: string[];
  benign_total: number;
  benign_silenced: number;
  benign_not_alerting: number;
  keep_total: number;
  keep_alerting: number;
  benign_still_alerting: string[];
  keep_silenced: string[];
  blast_radius: { history_alerts: number; silenced: number; outside_benign_set: number; marked_real: number; blocking: number; clusters: BlastCluster[] };
  blocking: { rule: string; verdict: string; cluster: string; description: string }[];
  mutations: { kind: string; avoidable: boolean; description: string; silenced: boolean }[];
  mutations_silenced: number;
  passed: boolean;
}

interface Alternative {
  template: string;
  generality: number;
  names: string[];
  yaml: string;
  verification: Verification;
}

interface TuneAnswer {
  rule: string;
  template: string;
  generality: number;
  names: string[];
  yaml: string;
  legacy: { yaml: string; verification: Verification };
  verification: Verification;
  alternatives: Alternative[];
  history: { alerts_read: number; decided: number; limit: number; truncated: boolean };
}

interface CheckAnswer {
  ok: boolean;
  problems: { what: string; fix: string }[];
  rules: { rule: string; verification: Verification | null; corrected: { yaml: string; how: string; verification: Verification } | null }[];
}

interface ActiveRuleset {
  version: number;
  files: { name: string; kind: string; contents: string }[];
}

function ids(v: string | undefined): number[] {
  return (v ?? '').split(',').map((x) => Number(x.trim())).filter((n) => Number.isSafeInteger(n) && n > 0);
}

function check(ok: boolean, text: string, id: string): HTMLElement {
  return h('li', { class: ok ? 'ok' : 'error', 'data-check': id, 'data-ok': String(ok) }, ok ? '✔ ' : '✘ ', text);
}

/** The verification as a list of checks, the blast radius with examples, the near-attacks. */
export function verificationView(v: Verification, t: Ctx['t']): HTMLElement {
  const br = v.blast_radius;
  return h('div', { class: 'verification', 'data-passed': String(v.passed) },
    h('p', { class: v.passed ? 'ok' : 'error', id: 'passed' }, v.passed ? t('tune.passed') : t('tune.failed')),
    h('ul', { class: 'checks' },
      check(v.loads, v.loads ? t('tune.loads') : t('tune.no_load', { errors: v.errors.join('; ') }), 'loads'),
      check(v.benign_total > 0 && v.benign_silenced === v.benign_total,
        t('tune.benign', { n: v.benign_silenced, of: v.benign_total }), 'benign'),
      check(v.keep_alerting === v.keep_total, t('tune.keep', { n: v.keep_alerting, of: v.keep_total }), 'keep'),
      check(br.blocking === 0, t('tune.history', { n: br.history_alerts, blocking: br.blocking }), 'history'),
    ),
    v.warnings.length ? h('p', { class: 'muted' }, t('tune.warnings', { w: v.warnings.join('; ') })) : null,
    v.benign_still_alerting.length ? h('ul', null, ...v.benign_still_alerting.map((d) => h('li', { class: 'error mono' }, d))) : null,
    v.keep_silenced.length ? h('ul', null, ...v.keep_silenced.map((d) => h('li', { class: 'error mono' }, d))) : null,
    h('h3', null, t('tune.blast')),
    h('p', { id: 'blast' }, t('tune.blast_text', { silenced: br.silenced, history: br.history_alerts, outside: br.outside_benign_set, real: br.marked_real })),
    br.clusters.length
      ? h('table', { class: 'grid', id: 'blast-clusters' },
        h('thead', null, h('tr', null, h('th', null, t('tune.c.cluster')), h('th', null, t('inbox.c.verdict')), h('th', null, t('inbox.c.count')), h('th', null, t('tune.c.examples')))),
        h('tbody', null, ...br.clusters.map((c) => h('tr', null,
          h('td', { class: 'mono' }, c.cluster),
          h('td', null, c.verdict ? t(`verdict.${c.verdict}` as any) : t('common.none')),
          h('td', { class: 'num' }, `${c.count}${c.in_benign_set ? ` (${t('tune.in_benign', { n: c.in_benign_set })})` : ''}`),
          h('td', null, h('ul', null, ...c.examples.map((e) => h('li', { class: 'mono' }, e))))))))
      : null,
    v.blocking.length ? [h('h3', null, t('tune.blocking')), h('ul', null, ...v.blocking.map((b) => h('li', { class: 'error mono' }, `${b.verdict}: ${b.description}`)))] : null,
    h('h3', null, t('tune.near')),
    v.mutations.length
      ? h('ul', { class: 'checks', id: 'near-attacks' }, ...v.mutations.map((m) => m.silenced && !m.avoidable
        // No exception over one event can tell it apart (its difference is what ran before):
        // reported, not held against the exception; triage, which sees the session, judges it.
        ? h('li', { class: 'muted', 'data-check': `near-${m.kind}`, 'data-ok': 'true' }, '• ', `${m.kind}: ${m.description} — ${t('tune.unavoidable')}`)
        : check(!m.silenced, `${m.kind}: ${m.description} — ${m.silenced ? t('tune.silenced') : t('tune.still_alerts')}`, `near-${m.kind}`)))
      : h('p', { class: 'muted' }, t('tune.no_near')),
  );
}

export async function render(el: HTMLElement, params: Params, ctx: Ctx): Promise<void> {
  const { t } = ctx;
  const alertIds = ids(params.alerts);
  const clusterIds = ids(params.clusters);
  if (!alertIds.length && !clusterIds.length) {
    mount(el, h('h1', null, t('tune.title')), h('p', null, t('tune.nothing')));
    return;
  }
  mount(el, h('h1', null, t('tune.title')), h('p', { id: 'tune-status' }, t('tune.working')));
  let answer: TuneAnswer;
  try {
    answer = await ctx.api<TuneAnswer>('POST', 'api/v1/tune', { alert_ids: alertIds, cluster_ids: clusterIds });
  } catch (e) {
    mount(el, h('h1', null, t('tune.title')),
      h('p', { class: 'error', id: 'tune-error' }, t('tune.none', { error: e instanceof ApiError ? e.message : String(e) })));
    return;
  }

  const yaml = h('textarea', { class: 'yaml', id: 'yaml', spellcheck: 'false', 'aria-label': t('tune.block'), value: answer.yaml });
  const verification = h('section', { class: 'card', id: 'verification' }, h('h2', null, t('tune.verification')), verificationView(answer.verification, t));
  const checkStatus = h('p', { class: 'muted', id: 'check-status', role: 'status' });
  const problems = h('div', { id: 'problems' });
  let lastChecked = answer.yaml;
  let passed = answer.verification.passed;
  // The verification of the block as it stands (the proposal's, then each re-check's): the
  // provenance saved with it.
  let current: Verification = answer.verification;

  // The legacy form is the proposal's: said so once the block is edited.
  const legacyStale = h('p', { class: 'error', hidden: true }, t('tune.legacy_stale'));
  const applyBtn = h('button', { type: 'button', class: 'primary', id: 'apply', disabled: ctx.role !== 'admin' || !passed }, t('tune.apply'));
  const recheck = async () => {
    const text = yaml.value;
    if (text === lastChecked) return;
    lastChecked = text;
    legacyStale.hidden = text === answer.yaml;
    mount(checkStatus, t('tune.checking'));
    applyBtn.disabled = true;
    try {
      const r = await ctx.api<CheckAnswer>('POST', 'api/v1/tune/check', { yaml: text, alert_ids: alertIds, cluster_ids: clusterIds });
      if (yaml.value !== text) return;
      passed = r.ok;
      mount(checkStatus, r.ok ? t('tune.check_ok') : t('tune.check_bad', { n: r.problems.length }));
      checkStatus.dataset.ok = String(r.ok);
      const rule = r.rules.find((x) => x.rule === answer.rule) ?? r.rules[0];
      mount(problems,
        r.problems.length ? h('ul', { class: 'error' }, ...r.problems.map((p) => h('li', null, p.what, h('div', { class: 'muted' }, p.fix)))) : null,
        rule?.corrected ? h('div', null, h('p', null, t('tune.corrected', { how: rule.corrected.how })),
          h('button', { type: 'button', id: 'use-corrected', onclick: () => setYaml(rule.corrected!.yaml) }, t('tune.use_corrected'))) : null);
      if (rule?.verification) {
        current = rule.verification;
        mount(verification, h('h2', null, t('tune.verification')), verificationView(rule.verification, t));
      }
      applyBtn.disabled = ctx.role !== 'admin' || !passed;
    } catch (e) {
      mount(checkStatus, t('common.error', { error: e instanceof Error ? e.message : String(e) }));
    }
  };
  const setYaml = (text: string) => {
    yaml.value = text;
    void recheck();
  };
  yaml.addEventListener('input', debounce(() => void recheck(), 500));

  const comment = h('input', { type: 'text', id: 'apply-comment', value: t('tune.default_comment', { rule: answer.rule }) });
  const expiry = h('input', { type: 'date', id: 'apply-expiry' });
  const applied = h('p', { id: 'applied', role: 'status' });
  applyBtn.addEventListener('click', async () => {
    applyBtn.disabled = true;
    try {
      let files: { name: string; contents: string }[] = [];
      try {
        const active = await ctx.api<ActiveRuleset>('GET', 'api/v1/rulesets/active');
        files = active.files.filter((f) => f.kind === 'local').map((f) => ({ name: f.name, contents: f.contents }));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
      const block = yaml.value.endsWith('\n') ? yaml.value : `${yaml.value}\n`;
      const target = 'falco_rules.local.yaml';
      const existing = files.find((f) => f.name === target);
      if (existing) existing.contents = `${existing.contents.replace(/\n*$/, '\n')}\n${block}`;
      else files.push({ name: target, contents: block });
      const expires = expiry.value ? new Date(`${expiry.value}T23:59:59`).toISOString() : undefined;
      const names = answer.names.filter((n) => yaml.value.includes(n));
      const exceptions = names.map((name) => ({
        rule: answer.rule, name, proposer: `quell tune (console, ${ctx.name})`,
        verification: current, comment: comment.value, expires,
      }));
      const saved = await ctx.api<{ saved: { version: number } }>('POST', 'api/v1/rulesets', { comment: comment.value, files, exceptions });
      applied.className = 'ok';
      mount(applied, t('tune.applied', { version: saved.saved.version }), ' ', h('a', { href: '#/inbox' }, t('nav.inbox')), ' · ',
        h('a', { href: '#/rules' }, t('nav.rules')));
    } catch (e) {
      applyBtn.disabled = false;
      ctx.error(e);
    }
  });

  const v = answer.history;
  mount(el,
    h('h1', null, t('tune.title'), ': ', answer.rule),
    h('p', { class: 'muted' }, t('tune.basis', { alerts: alertIds.length, clusters: clusterIds.length, history: v.alerts_read, decided: v.decided }),
      v.truncated ? ` ${t('tune.truncated', { n: v.limit })}` : ''),
    h('div', { class: 'tune-grid' },
      h('div', null,
        h('section', { class: 'card' },
          h('h2', null, t('tune.block')),
          h('p', { class: 'muted' }, t('tune.block_help')),
          yaml, checkStatus, problems),
        h('section', { class: 'card', id: 'legacy' },
          h('h2', null, t('tune.legacy')),
          legacyStale,
          h('p', { class: 'muted' }, t('tune.legacy_help', { passed: answer.legacy.verification.passed ? t('tune.passed') : t('tune.failed') })),
          h('pre', { id: 'legacy-yaml' }, answer.legacy.yaml)),
        h('section', { class: 'card', id: 'apply-card' },
          h('h2', null, t('tune.apply_title')),
          h('label', null, t('tune.comment'), ' ', comment),
          h('label', null, t('tune.expiry'), ' ', expiry),
          h('div', { class: 'buttons' }, applyBtn),
          ctx.role !== 'admin' ? h('p', { class: 'muted' }, t('common.readonly')) : null,
          applied)),
      h('div', null,
        verification,
        h('section', { class: 'card', id: 'alternatives' },
          h('h2', null, t('tune.alternatives')),
          answer.alternatives.length
            ? h('ul', null, ...answer.alternatives.map((alt) => h('li', { 'data-template': alt.template },
              h('strong', null, alt.template), ` (${t('tune.generality', { g: str(alt.generality) })}) `,
              alt.verification.passed ? t('tune.passed') : t('tune.failed'), ' ',
              h('button', { type: 'button', class: 'link use-alternative', onclick: () => setYaml(alt.yaml) }, t('tune.use')),
              // The exception itself; its provenance comments are the same as the proposal's.
              h('pre', null, alt.yaml.split('\n').filter((l) => !l.startsWith('#')).join('\n')))))
            : h('p', { class: 'muted' }, t('tune.no_alternatives'))))),
  );
}
