/** A signed-in browser-like session for the console or the portal, over plain HTTP. */
export interface PageSession {
  /** The Cookie header to send. */
  cookie: string;
  /** The CSRF token the session's forms carry. */
  csrf: string;
}

/** Collects `name=value` of every Set-Cookie on a response into a Cookie header (later values win; cleared ones go). */
export function mergeCookies(previous: string, res: Response): string {
  const jar = new Map(previous.split('; ').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const name = pair!.slice(0, pair!.indexOf('='));
    const value = pair!.slice(pair!.indexOf('=') + 1);
    if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The value of the first `name="csrf"` field in a page. */
export function csrfIn(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('The page has no CSRF field');
  return m[1]!;
}

/** Posts a urlencoded form from the page's own origin, without following redirects. */
export function postForm(baseUrl: string, path: string, fields: Record<string, string>, options: { cookie?: string; origin?: string | null } = {}): Promise<Response> {
  const origin = options.origin === undefined ? new URL(baseUrl).origin : options.origin;
  return fetch(new URL(path, baseUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(origin === null ? {} : { Origin: origin }), ...(options.cookie ? { Cookie: options.cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

/** GETs a page with the session's cookie, without following redirects. */
export function getPage(baseUrl: string, path: string, cookie?: string): Promise<Response> {
  return fetch(new URL(path, baseUrl), { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} });
}

/** Signs in to `/console` or `/portal` through its form; returns the session, or the refusal's response. */
export async function signIn(baseUrl: string, base: '/console' | '/portal', credential: string): Promise<PageSession & { response: Response }> {
  const form = await getPage(baseUrl, `${base}/login`);
  let cookie = mergeCookies('', form);
  const response = await postForm(baseUrl, `${base}/login`, { csrf: csrfIn(await form.text()), credential }, { cookie });
  cookie = mergeCookies(cookie, response);
  if (response.status !== 303) return { cookie, csrf: '', response };
  const page = await getPage(baseUrl, base, cookie);
  return { cookie, csrf: csrfIn(await page.text()), response };
}
