import { z } from 'zod';
import { defineTool, textResult, toolError } from './define-tool.ts';

const MAX_README_BYTES = 256 * 1024;
const TIMEOUT_MS = 10_000;
const name = z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'Use letters, digits and _ . -');

/** Fetches a public GitHub repository's README from the configured GitHub API. */
export const githubReadme = defineTool({
  name: 'github_readme',
  title: 'GitHub README',
  description: "Fetch the README of a public GitHub repository, as markdown text.",
  scopes: ['github:read'],
  inputSchema: {
    owner: name.describe('Repository owner, e.g. "honojs"'),
    repo: name.describe('Repository name, e.g. "hono"'),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  handler: async ({ owner, repo }, { config, signal }) => {
    const url = `${config.GITHUB_API_URL.replace(/\/$/, '')}/repos/${owner}/${repo}/readme`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: 'application/vnd.github.raw+json', 'User-Agent': 'tenant-mcp' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
      });
    } catch {
      return toolError(`Could not reach GitHub to fetch ${owner}/${repo}'s README. Try again later.`);
    }
    if (response.status === 404) return toolError(`Repository ${owner}/${repo} was not found, is private, or has no README.`);
    if (!response.ok) return toolError(`GitHub answered ${response.status} for ${owner}/${repo}'s README. Try again later.`);
    const text = await response.text();
    return textResult(text.length > MAX_README_BYTES ? `${text.slice(0, MAX_README_BYTES)}\n\n[README truncated]` : text);
  },
});
