// The sensors view (#/sensors): every sensor that reported a heartbeat (GET api/v1/sensors):
// host, quell version, kernel, first and last seen (relative and absolute), drop counters,
// the rule-set version and revision it runs (and a version it refused, with why), its
// spool's backlog. A sensor not heard from for over a minute is marked stale. The view
// refreshes itself every 10 s while it is shown.

import type { Ctx, Params } from '../main';
import { h, mount, fmtTime, str } from '../dom';

/** A sensor is stale when its last heartbeat is older than this (heartbeats come every 10 s). */
export const STALE_NS = 60e9;
const REFRESH_MS = 10_000;

interface RulesStatus {
  source?: string;
  version?: number | null;
  revision?: string | null;
  refused?: { version: number; error: string } | null;
  warning?: string | null;
}

interface SensorView {
  id: number;
  name: string;
  host: string;
  kernel: string;
  quell_version: string;
  first_seen_ns: number;
  last_seen_ns: number;
  drops: Record<string, number>;
  rules: RulesStatus | null;
  spool: { pending?: number; bytes?: number } | null;
}

/** `ns` before `now_ns` as "3 min ago" in `lang`. */
export function ago(ns: number, nowNs: number, lang: string): string {
  const s = Math.round((ns - nowNs) / 1e9);
  const rtf = new Intl.RelativeTimeFormat(lang === 'ja' ? 'ja' : 'en', { numeric: 'auto' });
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function when(ns: number, now: number, lang: string): HTMLElement {
  return h('span', { title: fmtTime(ns, lang) }, ago(ns, now, lang), h('br'), h('span', { class: 'muted small' }, fmtTime(ns, lang)));
}

function rulesCell(r: RulesStatus | null, t: Ctx['t']): HTMLElement {
  if (!r) return h('td', { class: 'wrap muted' }, t('sensors.rules_unknown'));
  const runs = r.source === 'server' && r.version !== null && r.version !== undefined
    ? t('sensors.runs_version', { n: r.version, revision: r.revision ?? String(r.version) })
    : r.source === 'local' ? t('sensors.runs_local') : str(r.source);
  return h('td', { class: 'wrap', 'data-rules': r.revision ?? r.source ?? '' },
    runs,
    r.version ? h('a', { href: `#/rules/diff?to=${r.version}`, class: 'small' }, ' ', t('sensors.see_version')) : null,
    r.refused ? h('div', { class: 'error refused' }, t('sensors.refused', { n: r.refused.version, error: r.refused.error })) : null,
    r.warning ? h('div', { class: 'muted' }, t('sensors.warning', { warning: r.warning })) : null);
}

export async function render(el: HTMLElement, _params: Params, ctx: Ctx): Promise<void> {
  const { t, lang } = ctx;
  const body = h('div', { id: 'sensors' }, h('p', { class: 'muted' }, t('common.loading')));
  mount(el, h('h1', null, t('sensors.title')), h('p', { class: 'muted' }, t('sensors.help')), body);

  const load = async (): Promise<void> => {
    const r = await ctx.api<{ sensors: SensorView[] }>('GET', 'api/v1/sensors');
    const now = Date.now() * 1e6;
    if (!r.sensors.length) {
      mount(body, h('p', { id: 'sensors-empty' }, t('sensors.none')));
      return;
    }
    const stale = r.sensors.filter((s) => now - s.last_seen_ns > STALE_NS).length;
    mount(body,
      h('p', null, t('sensors.count', { n: r.sensors.length, stale })),
      h('table', { class: 'grid sensors' },
        h('thead', null, h('tr', null, ...(['name', 'state', 'version', 'kernel', 'first', 'last', 'drops', 'rules', 'spool'] as const)
          .map((c) => h('th', null, t(`sensors.c.${c}`))))),
        h('tbody', null, ...r.sensors.map((s) => {
          const isStale = now - s.last_seen_ns > STALE_NS;
          const drops = Object.entries(s.drops ?? {});
          return h('tr', { class: isStale ? 'stale' : '', 'data-sensor': s.name, 'data-stale': String(isStale) },
            h('td', { class: 'wrap' }, h('strong', null, s.host || s.name), s.host && s.host !== s.name ? h('div', { class: 'muted small' }, s.name) : null),
            h('td', null, h('span', { class: `badge ${isStale ? 'stale-badge' : 'fresh-badge'}` }, t(isStale ? 'sensors.stale' : 'sensors.fresh'))),
            h('td', null, s.quell_version || t('common.none')),
            h('td', { class: 'wrap' }, s.kernel || t('common.none')),
            h('td', null, when(s.first_seen_ns, now, lang)),
            h('td', null, when(s.last_seen_ns, now, lang)),
            h('td', { class: 'wrap' }, drops.length
              ? drops.map(([k, v], i) => [i ? ', ' : '', h('span', { class: v > 0 ? 'error' : '', 'data-drop': k }, `${k}: ${v}`)])
              : t('common.none')),
            rulesCell(s.rules, t),
            h('td', null, s.spool && typeof s.spool.pending === 'number'
              ? t('sensors.spool', { pending: s.spool.pending, bytes: bytes(s.spool.bytes ?? 0) })
              : t('common.none')));
        }))));
  };
  await load();
  const timer = window.setInterval(() => {
    if (!body.isConnected) {
      window.clearInterval(timer);
      return;
    }
    load().catch((e) => ctx.error(e));
  }, REFRESH_MS);
}
