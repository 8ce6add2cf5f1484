import type { CreatedKey } from '../services/keys.ts';
import type { ConnectionSnippets } from '../services/connection-snippets.ts';

function Snippet(props: { label: string; file?: string; text: string }) {
  return (
    <div>
      <h3>{props.label}</h3>
      {props.file && <p class="muted">{`Paste into ${props.file}`}</p>}
      <pre data-copy={props.label} tabindex={0}>
        {props.text}
      </pre>
    </div>
  );
}

/** A newly created key, shown this once, with ready-to-paste client configurations. */
export function CreatedKeyPanel(props: { created: CreatedKey; snippets: ConnectionSnippets }) {
  const { created, snippets } = props;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return (
    <section class="secret" aria-labelledby="created-key-title" data-key-id={created.id}>
      <h2 id="created-key-title">{`Key "${created.name}" created`}</h2>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> Only a digest is stored, so it cannot be shown again. Scopes:{' '}
        <code>{created.scopes.join(' ')}</code>
      </p>
      <pre data-copy="the API key" id="created-key" tabindex={0}>
        {created.key}
      </pre>
      <p>
        MCP URL: <code>{snippets.url}</code>
      </p>
      <div class="grid">
        <Snippet label="Claude Desktop" file={snippets.claudeDesktop.file} text={json(snippets.claudeDesktop.config)} />
        <Snippet label="Cursor" file={snippets.cursor.file} text={json(snippets.cursor.config)} />
        <Snippet label="VS Code" file={snippets.vscode.file} text={json(snippets.vscode.config)} />
        <Snippet label="MCP Inspector" text={snippets.inspector} />
      </div>
      <h3>OAuth URL (ChatGPT, Claude connectors, VS Code)</h3>
      <pre data-copy="the OAuth URL" id="oauth-url" tabindex={0}>
        {snippets.oauth.url}
      </pre>
      <p class="muted">{snippets.oauth.note}</p>
      <Snippet label="VS Code with OAuth (no key in the file)" file={snippets.oauth.vscode.file} text={json(snippets.oauth.vscode.config)} />
      <p class="muted">{snippets.claudeConnector.note}</p>
    </section>
  );
}
