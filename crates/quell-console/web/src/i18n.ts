// Every string the console shows, in English and Japanese. `{name}` is replaced by a value.
// The language: the one saved by the switch, else the browser's, else English.

const en = {
  'app.title': 'quell',
  'nav.inbox': 'Inbox',
  'nav.rules': 'Rules',
  'nav.sensors': 'Sensors',
  'nav.signout': 'Sign out',
  'nav.language': 'Language',
  'nav.keys': 'Keys',
  'role.admin': 'admin',
  'role.viewer': 'viewer (read only)',
  'role.sensor': 'sensor',
  'signin.title': 'Sign in to quell',
  'signin.token': 'Token',
  'signin.help': 'Paste the token `quell serve` printed at its first start, or one from `quell token new --role admin` (or `--role viewer` to only read).',
  'signin.submit': 'Sign in',
  'signin.failed': 'Sign-in failed: {error}',
  'common.loading': 'Loading…',
  'common.error': 'Error: {error}',
  'common.close': 'Close',
  'common.none': '—',
  'common.next': 'Next page',
  'common.first': 'First page',
  'common.readonly': 'A viewer token cannot change anything.',
  'keys.title': 'Keyboard',
  'keys.jk': 'j / k: next / previous row',
  'keys.enter': 'Enter: open the selected row',
  'keys.slash': '/: focus the filter',
  'keys.help': '?: this help',
  'keys.esc': 'Escape: close',
  'notfound.title': 'Nothing here',
  'notfound.text': 'No view for {path}.',
  'todo.rules': 'The rules editor is not built yet.',
  'todo.sensors': 'The sensors view is not built yet.',
} as const;

export type Key = keyof typeof en;

const ja: Record<Key, string> = {
  'app.title': 'quell',
  'nav.inbox': '受信箱',
  'nav.rules': 'ルール',
  'nav.sensors': 'センサー',
  'nav.signout': 'サインアウト',
  'nav.language': '言語',
  'nav.keys': 'キー操作',
  'role.admin': '管理者',
  'role.viewer': '閲覧者（読み取り専用）',
  'role.sensor': 'センサー',
  'signin.title': 'quell にサインイン',
  'signin.token': 'トークン',
  'signin.help': '`quell serve` が初回起動時に表示したトークン、または `quell token new --role admin` で作成したトークンを貼り付けてください（閲覧のみなら `--role viewer`）。',
  'signin.submit': 'サインイン',
  'signin.failed': 'サインインできませんでした: {error}',
  'common.loading': '読み込み中…',
  'common.error': 'エラー: {error}',
  'common.close': '閉じる',
  'common.none': '—',
  'common.next': '次のページ',
  'common.first': '最初のページ',
  'common.readonly': '閲覧者トークンでは変更できません。',
  'keys.title': 'キーボード',
  'keys.jk': 'j / k: 次 / 前の行',
  'keys.enter': 'Enter: 選択した行を開く',
  'keys.slash': '/: フィルターに移動',
  'keys.help': '?: このヘルプ',
  'keys.esc': 'Escape: 閉じる',
  'notfound.title': 'ページがありません',
  'notfound.text': '{path} に対応する画面はありません。',
  'todo.rules': 'ルールエディターはまだありません。',
  'todo.sensors': 'センサー画面はまだありません。',
};

export type Lang = 'en' | 'ja';
export const LANGS: Lang[] = ['en', 'ja'];
const TABLES: Record<Lang, Record<Key, string>> = { en, ja };
const STORAGE = 'quell.lang';

/** The language: saved by the switch, else the browser's first of en/ja, else en. */
export function detectLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE);
    if (saved === 'en' || saved === 'ja') return saved;
  } catch {
    // Storage may be disabled.
  }
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ja' || base === 'en') return base;
  }
  return 'en';
}

/** Saves the language chosen with the switch. */
export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE, lang);
  } catch {
    // Storage may be disabled: the choice lasts until the page is reloaded.
  }
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

/** The translation function of `lang`. */
export function translator(lang: Lang): T {
  const table = TABLES[lang];
  return (key, vars) => {
    let s = table[key] ?? en[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  };
}
