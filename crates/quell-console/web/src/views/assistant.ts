// The assistant panel beside an alert's detail (issue 15): questions in English or Japanese
// about the alert (or its cluster) on screen, answered by quell's deterministic assistant
// (POST api/v1/assistant, the answers of `quell ask`). The answer is shown as text; a
// proposed exception with its verification (the tune view's) and a link to the tune view,
// where a person can apply it. Nothing is applied from here.

import type { Ctx } from '../main';
import { h, mount } from '../dom';
import { verificationView, type Verification } from './tune';

/** What the question is about: the alert on screen or its cluster. */
export type About = { alert_id: number } | { cluster_id: number };

interface Evidence {
  kind: string;
  line: number | null;
  text: string;
}

interface Answer {
  intent: string;
  lang: string;
  answer: string;
  verdict: { verdict: string; text: string; score: number } | null;
  exception: { yaml: string; verification: Verification; legacy_yaml: string } | null;
  evidence: Evidence[];
  diagnostics: { code: string; message: string }[];
}

/** The questions offered as buttons (the story's), in the UI's language. */
const SUGGESTED = ['ask.q.fp', 'ask.q.exception', 'ask.q.why', 'ask.q.next'] as const;

/** The panel: suggested questions, a question box, the exchange so far. */
export function assistantPanel(ctx: Ctx, about: About): HTMLElement {
  const { t } = ctx;
  const log = h('ol', { class: 'ask-log', id: 'ask-log', 'aria-live': 'polite' });
  const question = h('textarea', { id: 'ask-question', 'aria-label': t('ask.placeholder'), placeholder: t('ask.placeholder') });
  const send = h('button', { type: 'button', class: 'primary', id: 'ask-send' }, t('ask.send'));
  const status = h('p', { class: 'muted', id: 'ask-status', role: 'status' });

  const tuneLink = (): string =>
    'alert_id' in about ? `#/tune?alerts=${about.alert_id}` : `#/tune?clusters=${about.cluster_id}`;

  const answerView = (a: Answer): HTMLElement =>
    h('li', { class: 'a', 'data-intent': a.intent, lang: a.lang },
      a.verdict
        ? h('p', { class: 'ask-verdict', 'data-verdict': a.verdict.verdict },
          t('ask.verdict', { text: a.verdict.text, score: a.verdict.score.toFixed(2) }))
        : null,
      h('pre', { class: 'ask-answer' }, a.answer),
      a.exception
        ? h('div', { class: 'ask-exception' },
          h('h3', null, t('ask.exception')),
          h('pre', { class: 'mono ask-yaml' }, a.exception.yaml),
          verificationView(a.exception.verification, t),
          h('p', null, h('a', { href: tuneLink(), class: 'ask-tune' }, t('ask.to_tune'))))
        : null,
      a.diagnostics.length
        ? h('ul', { class: 'ask-diagnostics' }, ...a.diagnostics.map((d) => h('li', { class: 'error', 'data-code': d.code }, `${d.code}: ${d.message}`)))
        : null,
      a.evidence.length
        ? h('details', null, h('summary', null, t('ask.evidence', { n: a.evidence.length })),
          h('ul', { class: 'ask-evidence' }, ...a.evidence.map((e) => h('li', { class: 'mono' },
            `${e.kind}${e.line !== null ? ` ${e.line}` : ''}: ${e.text}`))))
        : null);

  const ask = async (text: string) => {
    const q = text.trim();
    if (!q) return;
    log.appendChild(h('li', { class: 'q' }, h('pre', null, q)));
    send.disabled = true;
    mount(status, t('ask.working'));
    try {
      // No `lang`: the answer is in the question's language, as `quell ask` answers.
      const a = await ctx.api<Answer>('POST', 'api/v1/assistant', { question: q, about });
      log.appendChild(answerView(a));
      question.value = '';
      mount(status);
    } catch (e) {
      mount(status);
      ctx.error(e);
    } finally {
      send.disabled = false;
    }
  };
  send.addEventListener('click', () => ask(question.value));
  question.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void ask(question.value);
    }
  });

  return h('section', { class: 'card assistant', id: 'assistant' },
    h('h2', null, t('ask.title')),
    h('p', { class: 'muted' }, t('ask.help')),
    h('div', { class: 'buttons ask-suggested' },
      ...SUGGESTED.map((k) => h('button', { type: 'button', 'data-q': k, onclick: () => ask(t(k)) }, t(k)))),
    log,
    question,
    h('div', { class: 'buttons' }, send),
    status);
}
