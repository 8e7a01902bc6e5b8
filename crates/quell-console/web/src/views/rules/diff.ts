// The diff between two rule-set versions (#/rules/diff?from=A&to=B): quell serve's unified
// diff per file, shown line by line as text with a class per kind of line.

import type { Ctx } from '../../main';
import { query } from '../../api';
import { h, mount } from '../../dom';
import type { VersionList } from './types';

interface DiffFile {
  name: string;
  kind: 'base' | 'local';
  status: 'added' | 'removed' | 'modified';
  diff: string;
}

interface DiffAnswer {
  from: number;
  to: number;
  files: DiffFile[];
  exceptions: { added: { rule: string; name: string }[]; removed: { rule: string; name: string }[] };
}

/** The class of one line of a unified diff. */
export function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'd-head';
  if (line.startsWith('@@')) return 'd-hunk';
  if (line.startsWith('+')) return 'd-add';
  if (line.startsWith('-')) return 'd-del';
  if (line.startsWith('\\')) return 'd-note';
  return 'd-ctx';
}

/** A unified diff as one element per line (text only). */
export function diffLines(diff: string): HTMLElement {
  const lines = diff.replace(/\n$/, '').split('\n');
  return h('pre', { class: 'diff' }, ...lines.map((l) => h('span', { class: lineClass(l) }, l, '\n')));
}

function versionSelect(id: string, list: VersionList, value: number, t: Ctx['t']): HTMLSelectElement {
  return h('select', { id, 'aria-label': t(id === 'diff-from' ? 'rules.diff.from' : 'rules.diff.to') },
    ...list.versions.map((v) => h('option', { value: String(v.version), selected: v.version === value },
      t('rules.version_n', { n: v.version }) + (v.comment ? ` — ${v.comment.slice(0, 60)}` : ''))));
}

export async function renderDiff(el: HTMLElement, from: number, to: number, ctx: Ctx): Promise<void> {
  const { t } = ctx;
  mount(el, h('h1', null, t('rules.diff.title')), h('p', { class: 'muted' }, t('common.loading')));
  const list = await ctx.api<VersionList>('GET', 'api/v1/rulesets');
  if (!list.versions.length) {
    mount(el, h('h1', null, t('rules.diff.title')), h('p', null, t('rules.none')));
    return;
  }
  const newest = list.versions[0].version;
  if (!(to > 0)) to = newest;
  if (!(from > 0)) from = list.versions.find((v) => v.version < to)?.version ?? to;
  const fromSel = versionSelect('diff-from', list, from, t);
  const toSel = versionSelect('diff-to', list, to, t);
  const go = () => ctx.navigate(`#/rules/diff${query({ from: fromSel.value, to: toSel.value })}`);
  fromSel.addEventListener('change', go);
  toSel.addEventListener('change', go);
  const out = h('div', { id: 'diff' }, h('p', { class: 'muted' }, t('common.loading')));
  mount(el,
    h('h1', null, t('rules.diff.title')),
    h('p', null, h('a', { href: '#/rules' }, t('rules.back'))),
    h('div', { class: 'filters' },
      h('label', null, t('rules.diff.from'), fromSel),
      h('label', null, t('rules.diff.to'), toSel)),
    out);
  let d: DiffAnswer;
  try {
    d = await ctx.api<DiffAnswer>('GET', `api/v1/rulesets/diff${query({ from, to })}`);
  } catch (e) {
    mount(out);
    throw e;
  }
  const parts: HTMLElement[] = [];
  if (!d.files.length && !d.exceptions.added.length && !d.exceptions.removed.length) {
    parts.push(h('p', { class: 'muted', id: 'diff-same' }, t('rules.diff.same', { from: d.from, to: d.to })));
  }
  for (const f of d.files) {
    parts.push(h('section', { class: 'card diff-file', 'data-file': f.name, 'data-status': f.status },
      h('h2', null, f.name, ' ', h('span', { class: `badge ${f.kind}` }, t(f.kind === 'base' ? 'rules.base' : 'rules.local')),
        ' ', h('span', { class: `badge ${f.status}` }, t(`rules.diff.${f.status}`))),
      diffLines(f.diff)));
  }
  const exc = (items: { rule: string; name: string }[], key: 'rules.diff.exc_added' | 'rules.diff.exc_removed', cls: string) =>
    items.length ? h('section', { class: 'card' }, h('h2', null, t(key)),
      h('ul', { class: cls }, ...items.map((x) => h('li', null, `${x.rule} / ${x.name}`)))) : null;
  mount(out, parts, exc(d.exceptions.added, 'rules.diff.exc_added', 'd-add'), exc(d.exceptions.removed, 'rules.diff.exc_removed', 'd-del'));
}
