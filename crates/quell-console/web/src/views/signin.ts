// Sign-in: a token in, a session cookie (HttpOnly, SameSite=Strict) set by the server.

import { api, ApiError, type Session } from '../api';
import { h, mount } from '../dom';
import { LANGS, type Lang, type T } from '../i18n';

export interface SigninCtx {
  t: T;
  lang: Lang;
  error: (e: unknown) => void;
  done: (s: Session) => void;
  setLang: (l: Lang) => void;
}

export function render(el: HTMLElement, _params: Record<string, string>, ctx: SigninCtx): void {
  const { t } = ctx;
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const msg = h('p', { class: 'error', id: 'signin-error', role: 'alert' });
  const form = h('form', { class: 'signin', id: 'signin',
    onsubmit: async (e: Event) => {
      e.preventDefault();
      mount(msg, '');
      try {
        const s = await api<Session>('POST', 'api/v1/session', { token: input.value.trim() });
        input.value = '';
        ctx.done(s);
      } catch (err) {
        mount(msg, t('signin.failed', { error: err instanceof ApiError ? err.message : String(err) }));
      }
    } },
    h('h1', null, t('signin.title')),
    h('label', { for: 'token' }, t('signin.token')),
    input,
    h('p', { class: 'help' }, t('signin.help')),
    h('button', { type: 'submit' }, t('signin.submit')),
    msg,
    h('p', { class: 'langs' }, ...LANGS.map((l) => h('button', { type: 'button', class: 'link', 'data-lang': l,
      'aria-pressed': String(l === ctx.lang), onclick: () => ctx.setLang(l) }, l === 'en' ? 'English' : '日本語'))),
  );
  mount(el, form);
  input.focus();
}
