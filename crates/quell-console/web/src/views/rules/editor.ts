// The rules editor's code editor: CodeMirror 6 with YAML highlighting, line numbers, undo
// history, and Falco's diagnostics (from quell serve's validate route) underlined as you type.
//
// CodeMirror puts its styles in a style element; the console's CSP (`style-src 'self'`)
// refuses style elements without the nonce quell serve sets per page (in the CSP header and
// in `<meta name="csp-nonce" nonce=…>`), which `EditorView.cspNonce` passes on.

import { EditorState, Facet, type Extension } from '@codemirror/state';
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching } from '@codemirror/language';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, lintKeymap, type Diagnostic } from '@codemirror/lint';

export { EditorState, EditorView };
export type { Diagnostic };

/** The name of the rules file a state holds. */
export const fileName = Facet.define<string, string>({ combine: (v) => v[0] ?? '' });

/** The nonce quell serve put in the page for style elements ('' when none). */
export function styleNonce(): string {
  const m = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]');
  return m?.nonce ?? '';
}

/** A problem as quell serve's validate route reports it. */
export interface Problem {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  item_type: string | null;
  item_name: string | null;
}

/** The document offset of a 1-based line and 1-based column counted in characters (code
 * points, as quell-rules counts them), clamped to the document. */
export function offsetOf(state: EditorState, line: number, column: number): number {
  const doc = state.doc;
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  let off = 0;
  let chars = 0;
  const text = l.text;
  while (off < text.length && chars < column - 1) {
    const c = text.codePointAt(off) ?? 0;
    off += c > 0xffff ? 2 : 1;
    chars++;
  }
  return l.from + off;
}

/** The CodeMirror diagnostics of the problems that name `file` with a line: from the column
 * to the end of the word there, or the word before the column when it is past the last one. */
export function toDiagnostics(state: EditorState, file: string, problems: Problem[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of problems) {
    if (p.file !== file || !p.line) continue;
    let from = offsetOf(state, p.line, p.column ?? 1);
    const line = state.doc.lineAt(from);
    let to = from;
    const rest = line.text.slice(from - line.from);
    const word = /^\S+/.exec(rest);
    if (word) {
      to = from + word[0].length;
    } else {
      // Past the last word (an error at the end of a line, "expected … after 'and'"):
      // the word before it, else the line's text.
      const before = /\S+\s*$/.exec(line.text.slice(0, from - line.from));
      if (before) {
        from = line.from + before.index;
        to = from + before[0].trimEnd().length;
      } else {
        to = line.to;
      }
    }
    out.push({
      from, to,
      severity: p.severity === 'warning' ? 'warning' : 'error',
      source: p.code,
      message: p.message,
    });
  }
  return out;
}

export interface EditorHooks {
  /** Validates the whole set as it is now; resolves to every problem (all files). */
  validate: (view: EditorView) => Promise<Problem[] | null>;
  /** Called after every change of a document. */
  changed: (view: EditorView) => void;
  /** Ctrl-S / Cmd-S: save (when saving is possible). */
  save: () => void;
  /** The editable area's accessible name. */
  label: string;
}

/** The extensions every file's state shares. */
export function baseExtensions(hooks: EditorHooks): Extension[] {
  const nonce = styleNonce();
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightActiveLine(),
    drawSelection(),
    history(),
    indentOnInput(),
    bracketMatching(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    yaml(),
    lintGutter(),
    linter(async (view) => {
      const problems = await hooks.validate(view);
      if (!problems) return [];
      return toDiagnostics(view.state, view.state.facet(fileName), problems);
    }, { delay: 400 }),
    keymap.of([
      { key: 'Mod-s', preventDefault: true, run: () => { hooks.save(); return true; } },
      ...defaultKeymap, ...historyKeymap, ...lintKeymap,
    ]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) hooks.changed(u.view);
    }),
    EditorView.contentAttributes.of({ 'aria-label': hooks.label }),
    nonce ? EditorView.cspNonce.of(nonce) : [],
  ];
}

/** A state for one file: read-only for base files (and for a viewer). */
export function fileState(name: string, text: string, readOnly: boolean, shared: Extension[]): EditorState {
  return EditorState.create({
    doc: text,
    extensions: [
      shared,
      fileName.of(name),
      EditorState.readOnly.of(readOnly),
      EditorView.contentAttributes.of({ 'aria-readonly': String(readOnly), 'data-file': name }),
    ],
  });
}
