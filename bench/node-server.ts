// The production Node server as `npm start` runs it: the bundle `npm run build` makes of
// src/entry/node.ts. A checkout from before the build step existed runs its sources through tsx.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const built = new Set<string>();

/** Node's arguments for the checkout's production server, building it first (once per checkout and process). */
export function nodeServerArgs(checkout: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.build) return ['--import', 'tsx', 'src/entry/node.ts'];
  if (!built.has(checkout)) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: checkout, stdio: 'inherit' });
    built.add(checkout);
  }
  return ['--enable-source-maps', 'dist/entry/node.js'];
}
