// The OpenAPI connector's code outside Node: test/connectors/runtimes/openapi-check.ts compiles the
// shipped Petstore document and calls the example app, under Deno and inside workerd.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, spawnService } from '../helpers/proc.ts';
import { denoBin } from '../helpers/targets.ts';
import { startPetstore } from '../helpers/petstore.ts';
import type { RuntimeReport } from './runtimes/openapi-check.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tools = ['petstore_listPets', 'petstore_createPet', 'petstore_getPet', 'petstore_deletePet'];
const invoked = {
  get: { id: 2, name: 'Tom', tag: 'cat' },
  status: 200,
  missing: { isError: true, content: [{ type: 'text', text: 'The upstream answered 404 Not Found: {"message":"No pet with this id"}' }] },
  missingStatus: 404,
};

describe('the OpenAPI connector on other runtimes', () => {
  it('compiles the Petstore document and invokes its operations under Deno', async () => {
    const { stdout } = await promisify(execFile)(denoBin(), ['run', '--allow-net=127.0.0.1', '--allow-read', 'test/connectors/runtimes/deno-main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: process.env.DENO_DIR },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout) as RuntimeReport).toEqual({ compile: { tools }, invoke: invoked });
  });

  it('invokes operations inside workerd, where compiling is refused because its validator generates code', async () => {
    const petstore = await startPetstore();
    const persist = mkdtempSync(join(tmpdir(), 'tenant-mcp-openapi-worker-'));
    // wrangler dev, as a user runs it: unstable_startWorker did not apply nodejs_compat to this bundle.
    const worker = await spawnService({
      cmd: process.execPath,
      args: [join(root, 'node_modules/wrangler/bin/wrangler.js'), 'dev', '--config', 'test/connectors/runtimes/wrangler.jsonc', '--ip', '127.0.0.1', '--port', String(await freePort()), '--persist-to', persist],
      cwd: root,
      env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
      ready: /Ready on (http:\/\/127\.0\.0\.1:\d+)/,
      timeoutMs: 60_000,
    });
    try {
      const response = await fetch(`${worker.match}/?upstream=${encodeURIComponent(petstore.url)}`);
      const report = (await response.json()) as RuntimeReport;
      expect(report.invoke).toEqual(invoked);
      expect(report.compile).toEqual({
        error: expect.stringMatching(/^Cannot compile OpenAPI documents on this runtime: its validator \(Ajv\) generates code, which the runtime forbids \(Code generation from strings disallowed/),
      });
    } finally {
      await worker.stop();
      await petstore.close();
      rmSync(persist, { recursive: true, force: true });
    }
  }, 90_000);
});
