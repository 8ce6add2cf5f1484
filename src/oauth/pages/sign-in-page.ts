import { html } from 'hono/html';
import { renderPage } from './page-layout.ts';

/** An extra way to sign in, offered as a link (an identity provider's start URL). */
export interface SignInOption {
  label: string;
  href: string;
}

/** What the sign-in page shows. */
export interface SignInPageInput {
  requestId: string;
  csrf: string;
  clientName: string;
  redirectHost: string;
  options: SignInOption[];
  /** Where the "organisation or email" form posts, when a sign-in extension handles it. */
  organisationAction?: string;
  error?: string;
  status?: number;
}

/** The first step of authorization: sign in by pasting an API key, or through another method. */
export function signInPage(input: SignInPageInput): Promise<Response> {
  const body = html`<h1>Sign in to connect ${input.clientName}</h1>
<p><strong>${input.clientName}</strong> <span class="muted">(returns to ${input.redirectHost})</span> asks to use tenant-mcp tools on your behalf.</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/oauth/requests/${input.requestId}/api-key">
<input type="hidden" name="csrf" value="${input.csrf}">
<label for="api_key">Your API key</label>
<input type="password" id="api_key" name="api_key" autocomplete="off" spellcheck="false" required placeholder="tmcp_…">
<p class="muted">The key is checked and not stored: the app gets its own token, which ends when the key is revoked.</p>
<button type="submit">Sign in with this key</button>
</form>
${
  input.options.length > 0
    ? html`<h2>Or sign in with</h2><ul>${input.options.map((o) => html`<li><a href="${o.href}">${o.label}</a></li>`)}</ul>`
    : ''
}
${
  input.organisationAction
    ? html`<h2>Sign in with your organisation</h2>
<form method="post" action="${input.organisationAction}">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="request" value="${input.requestId}">
<label for="organisation">Organisation or work email</label>
<input type="text" id="organisation" name="organisation" autocomplete="email" required>
<button type="submit">Continue</button>
</form>`
    : ''
}`;
  return renderPage({ title: 'Sign in', body, status: input.status });
}
