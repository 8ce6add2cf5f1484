/** A page a {@link HttpBrowser} ended on after following redirects. */
export interface Page {
  url: URL;
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Acts as a browser over plain HTTP: keeps cookies (by name, as one host: every loopback server
 * shares them, as in a real browser), follows redirects, and submits forms. Enough to walk an
 * OpenID Connect sign-in through a real provider's pages without a real browser.
 */
export class HttpBrowser {
  readonly #cookies = new Map<string, string>();
  readonly #stopAt: string | undefined;
  /** Every URL visited, in order. */
  readonly visited: URL[] = [];

  /** `stopAt`: a redirect to a URL starting with this is not followed (an app's redirect URI nothing listens on). */
  constructor(options: { stopAt?: string } = {}) {
    this.#stopAt = options.stopAt;
  }

  /** Opens `url` and follows redirects until a page answers. */
  async open(url: string | URL, init: { method?: string; form?: Record<string, string> | URLSearchParams } = {}): Promise<Page> {
    let next = new URL(url);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 20; hop++) {
      this.visited.push(next);
      const headers: Record<string, string> = { Cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(next, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) }).catch((error: Error) => {
        throw new Error(`${method} ${next} failed: ${error.message}`, { cause: error });
      });
      this.#remember(res.headers.getSetCookie());
      const location = res.headers.get('Location');
      if (res.status >= 300 && res.status < 400 && location) {
        next = new URL(location, next);
        if (this.#stopAt && next.href.startsWith(this.#stopAt)) {
          await res.body?.cancel();
          return { url: next, status: res.status, headers: res.headers, body: '' };
        }
        method = 'GET';
        body = undefined;
        await res.body?.cancel();
        continue;
      }
      return { url: next, status: res.status, headers: res.headers, body: await res.text() };
    }
    throw new Error(`Too many redirects, last at ${next}`);
  }

  /** Submits the first form on `page` whose action contains `actionPart`, with its hidden fields plus `fields`. */
  submit(page: Page, actionPart: string, fields: Record<string, string>): Promise<Page> {
    const forms = [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
    const form = forms.find((f) => (/action="([^"]*)"/i.exec(f[1]!)?.[1] ?? '').includes(actionPart));
    if (!form) throw new Error(`No form with action containing "${actionPart}" on ${page.url}:\n${page.body.slice(0, 2000)}`);
    const action = decode(/action="([^"]*)"/i.exec(form[1]!)![1]!);
    const hidden: Record<string, string> = {};
    for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const attrs = input[1]!;
      if (!/type="hidden"/i.test(attrs)) continue;
      const name = /name="([^"]*)"/i.exec(attrs)?.[1];
      if (name) hidden[decode(name)] = decode(/value="([^"]*)"/i.exec(attrs)?.[1] ?? '');
    }
    return this.open(new URL(action, page.url), { form: { ...hidden, ...fields } });
  }

  /** The value of a cookie this browser holds. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Names of the cookies this browser holds. */
  cookieNames(): string[] {
    return [...this.#cookies.keys()];
  }

  #remember(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** Signs in on oidc-provider's development pages: types the account name, then consents. */
export async function signInAtIdp(browser: HttpBrowser, loginPage: Page, account: string): Promise<Page> {
  let page = await browser.submit(loginPage, '/interaction/', { prompt: 'login', login: account, password: 'any' });
  if (page.body.includes('name="prompt" value="consent"') || /Authorize/.test(page.body)) page = await browser.submit(page, '/interaction/', { prompt: 'consent' });
  return page;
}

function decode(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
