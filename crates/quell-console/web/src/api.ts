// The one way the console talks to quell serve: `api(method, path, body?)`.
// Paths are relative to the page (`api/v1/...`), so the console works under a sub-path.
// Writes carry the session's CSRF header; `{error}` bodies become an ApiError shown in the
// banner by the caller; a 401 sends the person to sign-in.

export interface Session {
  name: string;
  role: 'admin' | 'viewer' | 'sensor';
  csrf: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public body: unknown = null,
  ) {
    super(message);
  }
}

export type Api = <T = any>(method: string, path: string, body?: unknown) => Promise<T>;

let csrf = '';
let onUnauthorized: () => void = () => {};

/** Sets the CSRF value writes carry (from the session). */
export function setCsrf(value: string): void {
  csrf = value;
}

/** What to do on a 401 (the shell shows sign-in). */
export function setOnUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

/** A query string from the parameters that have a value. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api: Api = async (method, path, body) => {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-Quell-CSRF'] = csrf;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r: Response;
  try {
    r = await fetch(path.replace(/^\//, ''), init);
  } catch (e) {
    throw new ApiError(0, `the server did not answer: ${String(e)}`);
  }
  const text = await r.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (r.status === 401 && !path.includes('api/v1/session')) onUnauthorized();
  if (!r.ok) {
    const msg = data && typeof data === 'object' && typeof data.error === 'string' ? data.error : `HTTP ${r.status}`;
    throw new ApiError(r.status, msg, data);
  }
  return data;
};
