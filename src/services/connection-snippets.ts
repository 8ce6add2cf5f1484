/** A client configuration file's contents and where it goes. */
export interface ConfigSnippet {
  /** Where to paste `config`. */
  file: string;
  config: Record<string, unknown>;
}

/** Ready-to-paste client configurations for one API key. Each one contains the key: treat it as a secret. */
export interface ConnectionSnippets {
  /** The MCP endpoint. */
  url: string;
  /** Claude Desktop runs mcp-remote as a local stdio bridge that adds the header. */
  claudeDesktop: ConfigSnippet;
  cursor: ConfigSnippet;
  vscode: ConfigSnippet;
  /** Claude's custom connectors (claude.ai and Desktop, Settings > Connectors). */
  claudeConnector: { url: string; note: string };
  /** OAuth clients that take only a URL (ChatGPT, Claude connectors, VS Code): the user pastes the key on our sign-in page. Holds no secret. */
  oauth: { url: string; vscode: ConfigSnippet; note: string };
  /** A shell command that lists the key's tools with the MCP Inspector CLI. */
  inspector: string;
}

/** The server name the snippets register; clients show it next to the tools. */
const SERVER_NAME = 'tenant-mcp';

/** Builds every snippet for `key` against the server whose public URL is `publicUrl`. */
export function connectionSnippets(publicUrl: string, key: string): ConnectionSnippets {
  const url = `${publicUrl.replace(/\/+$/, '')}/mcp`;
  const authorization = `Bearer ${key}`;
  // mcp-remote refuses plain http except to localhost unless told otherwise.
  const { protocol, hostname } = new URL(url);
  const allowHttp = protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(hostname) ? ['--allow-http'] : [];
  return {
    url,
    claudeDesktop: {
      file: 'claude_desktop_config.json (Settings > Developer > Edit Config)',
      config: {
        mcpServers: {
          [SERVER_NAME]: {
            command: 'npx',
            // The header comes from env: Claude Desktop splits args on spaces in some versions.
            args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${AUTH_HEADER}', '--transport', 'http-only', ...allowHttp],
            env: { AUTH_HEADER: authorization },
          },
        },
      },
    },
    cursor: {
      file: '~/.cursor/mcp.json (or .cursor/mcp.json in a project)',
      config: { mcpServers: { [SERVER_NAME]: { url, headers: { Authorization: authorization } } } },
    },
    vscode: {
      file: '.vscode/mcp.json (or the user mcp.json: "MCP: Open User Configuration")',
      config: { servers: { [SERVER_NAME]: { type: 'http', url, headers: { Authorization: authorization } } } },
    },
    claudeConnector: {
      url,
      note:
        'Claude custom connectors authenticate with OAuth: add this URL as a custom connector (Settings > Connectors), ' +
        'leave the OAuth client fields empty, and paste this key on the sign-in page that opens. ' +
        "Connectors reach the server from Anthropic's cloud, so the URL must be publicly reachable over HTTPS.",
    },
    oauth: {
      url,
      vscode: { file: '.vscode/mcp.json (or the user mcp.json)', config: { servers: { [SERVER_NAME]: { type: 'http', url } } } },
      note:
        'For ChatGPT (Settings > Apps & Connectors > Create, authentication OAuth), Claude connectors and VS Code: give only this URL. ' +
        'The app opens a sign-in page on this server; paste this key there. The app gets its own short-lived tokens, which end when the key is revoked.',
    },
    inspector: `npx @modelcontextprotocol/inspector --cli ${shellWord(url)} --transport http --header ${shellWord(`Authorization: ${authorization}`)} --method tools/list`,
  };
}

/** Quotes a word for a shell: bare when plainly safe, else in double quotes (which cmd.exe understands too) when nothing in it expands. */
function shellWord(word: string): string {
  if (/^[\w./:@+=,-]+$/.test(word)) return word;
  if (/^[^"$`\\!%]*$/.test(word)) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
