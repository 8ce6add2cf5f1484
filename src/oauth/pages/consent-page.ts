import { html } from 'hono/html';
import { renderPage } from './page-layout.ts';

/** One permission on the consent page: a scope and the tools it opens. */
export interface ScopeChoice {
  scope: string;
  tools: { name: string; title: string }[];
}

/** What the consent page shows. */
export interface ConsentPageInput {
  requestId: string;
  csrf: string;
  clientName: string;
  redirectHost: string;
  /** Where the client's redirect lands, for the page's form-action policy. */
  redirectTarget: string;
  tenantName: string;
  signedInAs: string;
  choices: ScopeChoice[];
  error?: string;
  status?: number;
}

/** The second step: the user sees who asks for which tools, may narrow the scopes, and allows or denies. */
export function consentPage(input: ConsentPageInput): Promise<Response> {
  const body = html`<h1>Allow ${input.clientName} to use your tools?</h1>
<p>Signed in to <strong>${input.tenantName}</strong> as ${input.signedInAs}.</p>
<p><strong>${input.clientName}</strong> will be sent back to <strong>${input.redirectHost}</strong>.</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/oauth/requests/${input.requestId}/consent">
<input type="hidden" name="csrf" value="${input.csrf}">
<fieldset>
<legend>Permissions (untick any you do not want to give)</legend>
${input.choices.map(
  (choice, i) => html`<label for="scope-${i}"><input type="checkbox" id="scope-${i}" name="scope" value="${choice.scope}" checked> <code>${choice.scope}</code></label>
<div class="tools">${choice.tools.length > 0 ? html`Tools: ${choice.tools.map((t, j) => html`${j > 0 ? ', ' : ''}${t.title} (<code>${t.name}</code>)`)}` : 'No tools yet'}</div>`,
)}
</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`;
  return renderPage({ title: 'Allow access', body, status: input.status, formTargets: [input.redirectTarget] });
}
