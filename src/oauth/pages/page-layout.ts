import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** What every authorization page renders with. */
export interface PageOptions {
  title: string;
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
  status?: number;
  /** Origins (or private-use schemes) the page's forms may end up at after a redirect: the client's redirect target. */
  formTargets?: readonly string[];
}

/** Where the pages' icon is served (so browsers do not ask for /favicon.ico). */
const ICON_PATH = '/oauth/icon.svg';

/** The icon: a plain square, drawn here rather than fetched. */
export const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#3b6ea5"/></svg>';

/** Where the pages' one stylesheet is served, from this server. */
const STYLESHEET_PATH = '/oauth/style.css';

/**
 * Renders a page with the security headers every authorization page carries: a CSP that allows
 * nothing but our own stylesheet and forms, no framing (clickjacking), no referrer, no caching.
 */
export async function renderPage(options: PageOptions): Promise<Response> {
  const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · tenant-mcp</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${ICON_PATH}" type="image/svg+xml">
</head>
<body>
<main>
${options.body}
</main>
</body>
</html>`;
  // Chrome applies form-action to the redirect that follows a form post, so the client's redirect target is listed.
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(' ');
  return new Response(page.toString(), {
    status: options.status ?? 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    },
  });
}

/** An error shown on our own page, never sent to a redirect URI that could not be verified. */
export function errorPage(title: string, message: string, status = 400): Promise<Response> {
  return renderPage({ title, status, body: html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p>Close this window and try again from the app.</p>` });
}

/** The pages' stylesheet: system fonts, no external resources. */
export const stylesheet = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.45; }
body { margin: 0; display: flex; justify-content: center; padding: 2rem 1rem; }
main { max-width: 34rem; width: 100%; }
h1 { font-size: 1.4rem; }
h2 { font-size: 1.1rem; margin-top: 1.5rem; }
form { margin: 1rem 0; }
label { display: block; margin: .4rem 0; }
input[type=password], input[type=text] { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; }
fieldset { border: 1px solid #8886; border-radius: .4rem; margin: 1rem 0; }
button { font: inherit; padding: .5rem 1rem; margin-right: .5rem; cursor: pointer; }
.error { color: #c0392b; font-weight: 600; }
.muted { opacity: .75; font-size: .9rem; }
.tools { margin: .1rem 0 .5rem 1.6rem; font-size: .9rem; opacity: .85; }
`;
