// Building the page: elements from code, text from data. Data reaches the page only as text
// nodes (and attribute values set one by one), never as markup.

export type Child = Node | string | number | boolean | null | undefined | Child[];

/** Attributes: `class`, event handlers (`onclick: fn`), anything else set as an attribute. */
export type Attrs = Record<string, unknown>;

// A URL attribute never takes a script or data scheme, whatever it comes from.
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);
const BAD_SCHEME = /^\s*(javascript|data|vbscript|file):/i;

function setAttrs(el: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error(`h: ${k} takes a function`);
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (k === 'value' && el instanceof HTMLInputElement) {
      el.value = String(v);
    } else if (k === 'value' && (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)) {
      el.value = String(v);
    } else if (k === 'checked' && el instanceof HTMLInputElement) {
      el.checked = Boolean(v);
    } else {
      const s = v === true ? '' : String(v);
      if (URL_ATTRS.has(k.toLowerCase()) && BAD_SCHEME.test(s)) continue;
      el.setAttribute(k, s);
    }
  }
}

// Control characters (but tab and newline) and bidi controls, which would hide or reorder
// what is shown (a terminal escape, U+202E turning a file name around): shown as `\u202e`,
// as quell's terminal output writes them.
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with control and bidi characters made visible (`\u001b`). */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(visible(String(c))));
  }
}

/** An HTML element: `h('a', {href: '#/inbox', class: 'x'}, 'text', child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element (for sparklines). */
export function s(tag: string, attrs?: Attrs | null, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces everything inside `el` with `children`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Calls `f` once `ms` have passed without another call. */
export function debounce<A extends unknown[]>(f: (...a: A) => void, ms: number): (...a: A) => void {
  let timer: number | undefined;
  return (...a: A) => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = window.setTimeout(() => f(...a), ms);
  };
}

/** A time in nanoseconds since the epoch as local date and time. */
export function fmtTime(ns: number | null | undefined, lang: string): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '';
  const d = new Date(ns / 1e6);
  return d.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

/** A value of unknown shape as one line of text. */
export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
