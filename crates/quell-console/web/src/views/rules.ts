// The rules editor (#/rules) and the diff between versions (#/rules/diff?from=A&to=B).
//
// The active rule-set version's files in load order: base files (quell serve -r's) read-only,
// local files editable, and new local files; a CodeMirror 6 editor (loaded when the view is
// first opened) with YAML highlighting and Falco's diagnostics from quell serve's validate
// route underlined as you type; save as a new version with a comment (the provenance of the
// exceptions still in the files is carried over by the server); the versions with author,
// time and comment; a diff between any two; rollback; export as falco_rules.local.yaml or a
// rules.d file (a download built from a Blob). A viewer reads everything and changes nothing.

import type { Ctx, Params } from '../main';
import { ApiError, query } from '../api';
import { h, mount, fmtTime } from '../dom';
import { renderDiff } from './rules/diff';
import type { StoredVersion, VersionList } from './rules/types';
import type * as CM from './rules/editor';

interface FileEntry {
  name: string;
  kind: 'base' | 'local';
  /** The stored text; null for a file made in this session. */
  original: string | null;
  state: CM.EditorState;
  removed: boolean;
}

/** Names a local file may have (quell serve checks the same: `QUELL_BAD_FILE_NAME`). */
const LOCAL_NAME = /^(?:[A-Za-z0-9._-]+\/)?[A-Za-z0-9._-]+\.ya?ml$/;

export function localNameOk(name: string): boolean {
  return name.length <= 200 && LOCAL_NAME.test(name) && !name.startsWith('base/')
    && name.split('/').every((c) => c !== '.' && c !== '..');
}

export async function render(el: HTMLElement, params: Params, ctx: Ctx): Promise<void> {
  if (location.hash.startsWith('#/rules/diff')) {
    await renderDiff(el, Number(params.from), Number(params.to), ctx);
    return;
  }
  await renderEditor(el, params, ctx);
}

/** Offers `text` as a download named `name`. */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = h('a', { href: url, download: name, class: 'hidden-download' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The file name quell serve gives an export (its Content-Disposition). */
export function exportName(version: number, form: 'local' | 'rulesd'): string {
  return form === 'local' ? 'falco_rules.local.yaml' : `quell-ruleset-v${version}.yaml`;
}

async function renderEditor(el: HTMLElement, params: Params, ctx: Ctx): Promise<void> {
  const { t } = ctx;
  const admin = ctx.role === 'admin';
  mount(el, h('h1', null, t('rules.title')), h('p', { class: 'muted' }, t('common.loading')));
  const [list, cm] = await Promise.all([
    ctx.api<VersionList>('GET', 'api/v1/rulesets'),
    import('./rules/editor'),
  ]);
  if (list.active === null || !list.versions.length) {
    mount(el, h('h1', null, t('rules.title')), h('p', null, t('rules.none')));
    return;
  }
  const stored = await ctx.api<StoredVersion>('GET', `api/v1/rulesets/${list.active}`);

  // --- the files and the editor ---
  const files: FileEntry[] = [];
  let current = 0;
  let problems: CM.Problem[] = [];
  const problemsEl = h('div', { id: 'problems', 'aria-live': 'polite' });
  const fileList = h('ul', { class: 'files', id: 'files' });
  const fileTitle = h('div', { class: 'file-title' });
  const host = h('div', { class: 'cm-host', id: 'editor' });
  const comment = h('input', { id: 'save-comment', type: 'text', placeholder: t('rules.comment_hint'),
    'aria-label': t('rules.comment'), disabled: !admin, oninput: () => refresh() });
  const saveBtn = h('button', { type: 'button', id: 'save', class: 'primary', disabled: true, onclick: () => void save() }, t('rules.save'));
  const saveState = h('span', { class: 'muted', id: 'save-state' });

  const shared = cm.baseExtensions({
    label: t('rules.editor_label'),
    save: () => {
      if (!saveBtn.disabled) void save();
    },
    validate: async (v) => {
      try {
        const body = { files: localFiles(v), exceptions: [] };
        const r = await ctx.api<{ diagnostics: CM.Problem[] }>('POST', 'api/v1/rulesets/validate', body);
        problems = r.diagnostics;
      } catch (e) {
        ctx.error(e);
        return null;
      }
      showProblems();
      return problems;
    },
    changed: (v) => {
      const f = files[current];
      if (f) f.state = v.state;
      refresh();
    },
  });

  const entry = (name: string, kind: 'base' | 'local', text: string, original: string | null): FileEntry => ({
    name, kind, original, removed: false,
    state: cm.fileState(name, text, kind === 'base' || !admin, shared),
  });
  for (const f of stored.files) files.push(entry(f.name, f.kind, f.contents, f.contents));
  if (!files.length) files.push(entry('local.yaml', 'local', '', null));
  current = Math.max(0, files.findIndex((f) => f.kind === 'local'));
  if (params.file) {
    const i = files.findIndex((f) => f.name === params.file);
    if (i >= 0) current = i;
  }
  const view = new cm.EditorView({ state: files[current].state, parent: host });

  /** The local files to send: every one but those removed, as they are now. */
  function localFiles(v: CM.EditorView): { name: string; contents: string }[] {
    const name = v.state.facet(cm.fileName);
    return files.filter((f) => f.kind === 'local' && !f.removed).map((f) => ({
      name: f.name,
      contents: (f.name === name ? v.state : f.state).doc.toString(),
    }));
  }

  function dirty(f: FileEntry): boolean {
    if (f.kind !== 'local') return false;
    if (f.original === null) return !f.removed;
    return f.removed || f.state.doc.toString() !== f.original;
  }

  function select(i: number, line?: number, column?: number): void {
    files[current].state = view.state;
    current = i;
    view.setState(files[i].state);
    if (line) {
      const pos = cm.offsetOf(view.state, line, column ?? 1);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    }
    refresh();
    view.focus();
  }

  function refresh(): void {
    const changed = files.filter(dirty);
    mount(fileList, ...files.map((f, i) => {
      const count = problems.filter((p) => p.file === f.name).length;
      return h('li', { class: `${i === current ? 'current' : ''} ${f.removed ? 'removed' : ''}`.trim(), 'data-file': f.name },
        h('button', { type: 'button', class: 'link', 'aria-current': i === current ? 'true' : undefined, onclick: () => select(i) },
          f.name),
        ' ', h('span', { class: `badge ${f.kind}` }, t(f.kind === 'base' ? 'rules.base' : 'rules.local')),
        dirty(f) ? h('span', { class: 'badge changed' }, t('rules.changed')) : null,
        count ? h('span', { class: 'badge problems' }, String(count)) : null);
    }));
    const f = files[current];
    mount(fileTitle, h('strong', null, f.name), ' ',
      h('span', { class: 'muted' }, f.kind === 'base' ? t('rules.base_readonly') : admin ? t('rules.local_editable') : t('common.readonly')),
      admin && f.kind === 'local'
        ? h('button', { type: 'button', class: 'link', id: 'remove-file', onclick: () => toggleRemove(current) },
          f.removed ? t('rules.restore_file') : t('rules.remove_file'))
        : null);
    saveBtn.disabled = !admin || !changed.length || !comment.value.trim();
    mount(saveState, !admin ? t('common.readonly')
      : changed.length ? t('rules.unsaved', { n: changed.length }) : t('rules.no_changes'));
  }

  function toggleRemove(i: number): void {
    const f = files[i];
    if (f.original === null) {
      files.splice(i, 1);
      if (!files.length) files.push(entry('local.yaml', 'local', '', null));
      current = Math.min(i, files.length - 1);
      view.setState(files[current].state);
    } else {
      f.removed = !f.removed;
    }
    refresh();
  }

  function showProblems(): void {
    const errors = problems.filter((p) => p.severity === 'error').length;
    const summary = problems.length
      ? t('rules.problems', { errors, warnings: problems.length - errors })
      : t('rules.no_problems');
    mount(problemsEl, h('p', { class: errors ? 'error' : 'ok', id: 'problems-summary' }, summary),
      problems.length ? h('ul', { class: 'problems' }, ...problems.map((p) => {
        const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}` : t('rules.whole_set');
        const i = p.file ? files.findIndex((f) => f.name === p.file) : -1;
        return h('li', { class: p.severity, 'data-code': p.code, 'data-file': p.file ?? '', 'data-line': p.line ?? '' },
          i >= 0
            ? h('button', { type: 'button', class: 'link mono', onclick: () => select(i, p.line ?? undefined, p.column ?? undefined) }, where)
            : h('span', { class: 'mono' }, where),
          ' ', h('code', null, p.code), ' ', p.message,
          p.item_name ? h('span', { class: 'muted' }, ` (${p.item_type ?? ''} ${p.item_name})`) : null);
      })) : null);
    refresh();
  }

  const newName = h('input', { id: 'new-file-name', type: 'text', placeholder: 'my_rules.yaml', 'aria-label': t('rules.new_file_name') });
  function addFile(): void {
    const name = newName.value.trim();
    if (!localNameOk(name)) {
      ctx.error(t('rules.bad_name', { name }));
      return;
    }
    if (files.some((f) => f.name === name)) {
      ctx.error(t('rules.dup_name', { name }));
      return;
    }
    ctx.error(null);
    files.push(entry(name, 'local', '', null));
    // Load order: base files first, then local files by name (quell serve's order).
    const cur = files[current];
    files.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'base' ? -1 : 1));
    current = files.indexOf(cur);
    newName.value = '';
    select(files.findIndex((f) => f.name === name));
  }

  async function save(): Promise<void> {
    files[current].state = view.state;
    saveBtn.disabled = true;
    try {
      const r = await ctx.api<{ saved: { version: number } }>('POST', 'api/v1/rulesets',
        { comment: comment.value.trim(), files: localFiles(view), exceptions: [] });
      ctx.navigate(`#/rules${query({ saved: r.saved.version, file: files[current].name })}`, true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const b = e.body as { diagnostics?: CM.Problem[] } | null;
        if (b?.diagnostics) {
          problems = b.diagnostics;
          showProblems();
        }
      }
      ctx.error(e);
      refresh();
    }
  }

  // Leaving the page (reload, close) with unsaved changes asks first.
  const guard = (e: BeforeUnloadEvent) => {
    if (!el.isConnected) {
      window.removeEventListener('beforeunload', guard);
      return;
    }
    if (admin && files.some(dirty)) e.preventDefault();
  };
  window.addEventListener('beforeunload', guard);

  // --- versions ---
  const versionsEl = versionsView(list, ctx, el);

  const expired = stored.exceptions.filter((x) => x.expired);
  mount(el,
    h('h1', null, t('rules.title')),
    h('p', { id: 'active-version' }, t('rules.active', {
      n: stored.version, author: stored.author, at: fmtTime(stored.at_ns, ctx.lang),
    }), stored.comment ? h('span', { class: 'muted' }, ` — ${stored.comment}`) : null),
    params.saved ? h('p', { class: 'ok', id: 'saved' }, t('rules.saved', { n: params.saved })) : null,
    params.rolled ? h('p', { class: 'ok', id: 'rolled' }, t('rules.rolled', { n: params.rolled, from: params.from ?? '' })) : null,
    !admin ? h('p', { class: 'muted' }, t('common.readonly')) : null,
    expired.length ? h('p', { class: 'muted', id: 'expired' }, t('rules.expired', {
      list: expired.map((x) => `${x.rule} / ${x.name}`).join(', '),
    })) : null,
    h('div', { class: 'rules-grid' },
      h('aside', { class: 'card' },
        h('h2', null, t('rules.files')),
        h('p', { class: 'muted small' }, t('rules.load_order')),
        fileList,
        admin ? h('div', { class: 'new-file' }, newName,
          h('button', { type: 'button', id: 'new-file', onclick: addFile }, t('rules.new_file'))) : null),
      h('section', { class: 'card editor-card' },
        fileTitle, host, problemsEl,
        h('div', { class: 'save-bar' },
          h('label', null, t('rules.comment'), comment), saveBtn, saveState))),
    versionsEl);
  refresh();
}

function versionsView(list: VersionList, ctx: Ctx, el: HTMLElement): HTMLElement {
  const { t } = ctx;
  const admin = ctx.role === 'admin';
  const older = (v: number) => list.versions.find((x) => x.version < v)?.version;

  async function exportVersion(v: number, form: 'local' | 'rulesd'): Promise<void> {
    try {
      const text = await ctx.api<unknown>('GET', `api/v1/rulesets/${v}/export${query({ form })}`);
      if (typeof text !== 'string') throw new Error(t('rules.export_bad'));
      download(exportName(v, form), text);
    } catch (e) {
      ctx.error(e);
    }
  }

  function rollback(v: number): void {
    const input = h('input', { id: 'rollback-comment', type: 'text', 'aria-label': t('rules.comment') });
    const dlg = h('dialog', { class: 'confirm', id: 'rollback-dialog', 'aria-label': t('rules.rollback_title', { n: v }) },
      h('h2', null, t('rules.rollback_title', { n: v })),
      h('p', null, t('rules.rollback_text', { n: v })),
      h('label', null, t('rules.comment_optional'), input),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary', id: 'rollback-ok', onclick: async () => {
          try {
            const r = await ctx.api<{ saved: { version: number } }>('POST', `api/v1/rulesets/${v}/rollback`, { comment: input.value.trim() });
            dlg.close();
            ctx.navigate(`#/rules${query({ rolled: r.saved.version, from: v })}`, true);
          } catch (e) {
            dlg.close();
            ctx.error(e);
          }
        } }, t('rules.rollback')),
        h('button', { type: 'button', onclick: () => dlg.close() }, t('rules.cancel'))));
    dlg.addEventListener('close', () => dlg.remove());
    el.appendChild(dlg);
    dlg.showModal();
    input.focus();
  }

  const from = h('select', { id: 'cmp-from', 'aria-label': t('rules.diff.from') },
    ...list.versions.map((v, i) => h('option', { value: String(v.version), selected: i === 1 }, t('rules.version_n', { n: v.version }))));
  const to = h('select', { id: 'cmp-to', 'aria-label': t('rules.diff.to') },
    ...list.versions.map((v, i) => h('option', { value: String(v.version), selected: i === 0 }, t('rules.version_n', { n: v.version }))));

  return h('section', { class: 'card' },
    h('h2', null, t('rules.versions')),
    h('div', { class: 'filters' },
      h('label', null, t('rules.diff.from'), from),
      h('label', null, t('rules.diff.to'), to),
      h('button', { type: 'button', id: 'compare', onclick: () => ctx.navigate(`#/rules/diff${query({ from: from.value, to: to.value })}`) }, t('rules.compare'))),
    h('table', { class: 'grid', id: 'versions' },
      h('thead', null, h('tr', null,
        h('th', null, t('rules.c.version')), h('th', null, t('rules.c.author')), h('th', null, t('rules.c.time')),
        h('th', null, t('rules.c.comment')), h('th', null, t('rules.c.files')), h('th', null, t('rules.c.exceptions')),
        h('th', null, t('rules.c.actions')))),
      h('tbody', null, ...list.versions.map((v) => {
        const prev = older(v.version);
        return h('tr', { 'data-version': String(v.version) },
          h('td', { class: 'num' }, String(v.version), v.version === list.active ? h('span', { class: 'badge active' }, t('rules.active_badge')) : null),
          h('td', null, v.author),
          h('td', null, fmtTime(v.at_ns, ctx.lang)),
          h('td', { class: 'comment' }, v.comment),
          h('td', { class: 'num' }, String(v.files)),
          h('td', { class: 'num' }, String(v.exceptions)),
          h('td', { class: 'actions' },
            prev ? h('a', { href: `#/rules/diff${query({ from: prev, to: v.version })}`, 'data-diff': String(v.version) }, t('rules.diff_prev')) : null,
            h('button', { type: 'button', class: 'link', 'data-export': 'local', 'data-version': String(v.version),
              title: exportName(v.version, 'local'), onclick: () => void exportVersion(v.version, 'local') }, t('rules.export_local')),
            h('button', { type: 'button', class: 'link', 'data-export': 'rulesd', 'data-version': String(v.version),
              title: exportName(v.version, 'rulesd'), onclick: () => void exportVersion(v.version, 'rulesd') }, t('rules.export_rulesd')),
            h('button', { type: 'button', class: 'link', 'data-rollback': String(v.version),
              disabled: !admin || v.version === list.active, onclick: () => rollback(v.version) }, t('rules.rollback'))));
      }))));
}
