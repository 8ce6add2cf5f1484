import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.ts';

const root = resolve(import.meta.dirname, '..');
const pages = ['README.md', 'SECURITY.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(page: string): Set<string> {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('documentation', () => {
  it('documents every setting the server reads in docs/configuration.md', () => {
    const table = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    const missing = Object.keys(configSchema.shape).filter((name) => !table.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('has no broken relative links or anchors', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [file, anchor] = target!.split('#');
        const path = file ? join(dirname(page), file) : page;
        if (!existsSync(join(root, path))) broken.push(`${page}: ${target}`);
        else if (anchor && path.endsWith('.md') && !anchors(path).has(anchor)) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
