// Builds the Node server once per run, so the tests start it as `npm start` does: dist/entry/node.js.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildNodeServer(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
