// The console's shell: sign-in, header (nav, language switch, sign-out), the error banner,
// hash routing to the views, and the keys every view shares.

import { api, ApiError, setCsrf, setOnUnauthorized, type Api, type Session } from './api';
import { h, mount } from './dom';
import { detectLang, LANGS, saveLang, translator, type Lang, type T } from './i18n';
import * as signin from './views/signin';
import * as inbox from './views/inbox';
import * as alert from './views/alert';
import * as tune from './views/tune';
import * as rules from './views/rules';
import * as sensors from './views/sensors';

/** What every view's `render` gets. */
export interface Ctx {
  api: Api;
  t: T;
  lang: Lang;
  role: Session['role'];
  name: string;
  /** Goes to a hash route (`#/alerts/3`); `replace` keeps the history entry. */
  navigate: (hash: string, replace?: boolean) => void;
  /** Shows an error (or clears it with null) in the banner. */
  error: (e: unknown) => void;
  /** The view's keyboard handler (j/k/Enter...); removed when the route changes. */
  onKey: (f: (e: KeyboardEvent) => boolean) => void;
}

export type Params = Record<string, string>;
export type Render = (el: HTMLElement, params: Params, ctx: Ctx) => void | Promise<void>;

interface Route {
  parts: string[];
  render: Render;
  nav: string;
}
const routes: Route[] = [];

/** Registers a view for a hash path pattern (`/alerts/:id`). */
export function route(pattern: string, render: Render, nav = ''): void {
  routes.push({ parts: pattern.split('/').filter(Boolean), render, nav });
}

route('/inbox', inbox.render, 'inbox');
route('/alerts/:id', alert.render, 'inbox');
route('/tune', tune.render, 'inbox');
route('/rules', rules.render, 'rules');
route('/rules/diff', rules.render, 'rules');
route('/sensors', sensors.render, 'sensors');

/** The path and the query parameters of the location's hash. */
export function parseHash(hash: string): { path: string; query: Params } {
  const raw = hash.replace(/^#/, '') || '/inbox';
  const [path, qs] = raw.split('?', 2);
  const query: Params = {};
  new URLSearchParams(qs ?? '').forEach((v, k) => (query[k] = v));
  return { path: path || '/inbox', query };
}

function match(path: string): { route: Route; params: Params } | null {
  const parts = path.split('/').filter(Boolean);
  for (const r of routes) {
    if (r.parts.length !== parts.length) continue;
    const params: Params = {};
    let ok = true;
    r.parts.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return { route: r, params };
  }
  return null;
}

const root = document.getElementById('app') as HTMLElement;
let lang: Lang = detectLang();
let t: T = translator(lang);
let session: Session | null = null;
let viewKey: ((e: KeyboardEvent) => boolean) | null = null;
let renderSeq = 0;
const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
const main = h('main', { id: 'view', tabindex: '-1' });
const navLinks: Record<string, HTMLAnchorElement> = {};

function showError(e: unknown): void {
  if (e === null || e === undefined) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
  mount(banner, h('span', null, t('common.error', { error: msg })), ' ',
    h('button', { type: 'button', class: 'link', onclick: () => showError(null) }, t('common.close')));
  banner.hidden = false;
}

function navigate(hash: string, replace = false): void {
  if (replace) {
    history.replaceState(null, '', hash);
    void renderRoute();
  } else if (location.hash === hash) {
    void renderRoute();
  } else {
    location.hash = hash;
  }
}

function keysHelp(): void {
  const dlg = h('dialog', { class: 'keys', 'aria-label': t('keys.title') },
    h('h2', null, t('keys.title')),
    h('ul', null, ...(['keys.jk', 'keys.enter', 'keys.slash', 'keys.help', 'keys.esc'] as const).map((k) => h('li', null, t(k)))),
    h('button', { type: 'button', onclick: () => dlg.close() }, t('common.close')),
  );
  dlg.addEventListener('close', () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
}

function header(): HTMLElement {
  const langSelect = h('select', { id: 'lang', 'aria-label': t('nav.language'),
    onchange: () => {
      lang = langSelect.value as Lang;
      saveLang(lang);
      t = translator(lang);
      shell();
    } },
  ...LANGS.map((l) => h('option', { value: l, selected: l === lang }, l === 'en' ? 'English' : '日本語')));
  for (const k of ['inbox', 'rules', 'sensors'] as const) {
    navLinks[k] = h('a', { href: `#/${k}`, 'data-nav': k }, t(`nav.${k}`));
  }
  return h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/inbox' }, t('app.title')),
    h('nav', null, navLinks.inbox, navLinks.rules, navLinks.sensors),
    h('span', { class: 'spacer' }),
    h('span', { class: 'who', id: 'who' }, session ? `${session.name} · ${t(`role.${session.role}`)}` : ''),
    langSelect,
    h('button', { type: 'button', class: 'link', onclick: keysHelp, title: '?' }, t('nav.keys')),
    h('button', { type: 'button', id: 'signout', onclick: signOut }, t('nav.signout')),
  );
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', 'api/v1/session');
  } catch (e) {
    showError(e);
  }
  session = null;
  setCsrf('');
  shell();
}

async function renderRoute(): Promise<void> {
  if (!session) return;
  const seq = ++renderSeq;
  const { path, query } = parseHash(location.hash);
  const m = match(path);
  viewKey = null;
  showError(null);
  for (const [k, a] of Object.entries(navLinks)) {
    if (m?.route.nav === k) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const el = h('div', { class: 'view' });
  mount(main, el);
  document.documentElement.lang = lang;
  if (!m) {
    mount(el, h('h1', null, t('notfound.title')), h('p', null, t('notfound.text', { path })));
    return;
  }
  const ctx: Ctx = {
    api, t, lang, role: session.role, name: session.name, navigate, error: showError,
    onKey: (f) => {
      if (seq === renderSeq) viewKey = f;
    },
  };
  try {
    await m.route.render(el, { ...query, ...m.params }, ctx);
  } catch (e) {
    if (seq === renderSeq) showError(e);
  }
}

function shell(): void {
  document.documentElement.lang = lang;
  if (!session) {
    const el = h('div', { class: 'signin-wrap' });
    mount(root, banner, el);
    signin.render(el, {}, {
      t, lang, error: showError,
      done: (s: Session) => {
        session = s;
        setCsrf(s.csrf);
        shell();
      },
      setLang: (l: Lang) => {
        lang = l;
        saveLang(l);
        t = translator(l);
        shell();
      },
    });
    return;
  }
  mount(root, header(), banner, main);
  void renderRoute();
}

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  const typing = !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  if (e.key === 'Escape' && typing) {
    target.blur();
    return;
  }
  if (typing || e.ctrlKey || e.metaKey || e.altKey || !session) return;
  if (viewKey && viewKey(e)) {
    e.preventDefault();
    return;
  }
  if (e.key === '/') {
    const f = main.querySelector<HTMLElement>('[data-filter]');
    if (f) {
      e.preventDefault();
      f.focus();
    }
  } else if (e.key === '?') {
    e.preventDefault();
    keysHelp();
  }
});

window.addEventListener('hashchange', () => void renderRoute());

setOnUnauthorized(() => {
  if (session) {
    session = null;
    setCsrf('');
    shell();
  }
});

async function start(): Promise<void> {
  try {
    const s = await api<Session>('GET', 'api/v1/session');
    session = s;
    setCsrf(s.csrf);
  } catch {
    session = null;
  }
  shell();
}

void start();
