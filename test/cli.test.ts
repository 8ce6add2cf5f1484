import { parseApiKey } from '../src/auth/api-key.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
let dir: string;
let env: Record<string, string>;

/** Runs the real CLI; resolves with its exit code and output whatever the code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function expectOneLineError(args: string[], message: RegExp) {
  const { code, stdout, stderr } = await cli(...args);
  expect(code).not.toBe(0);
  expect(stdout).toBe('');
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^tenant-mcp: /);
  expect(lines[0]).toMatch(message);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-cli-'));
  env = { PATH: process.env.PATH!, DATABASE_URL: `file:${join(dir, 'cli.db')}` };
  expect((await cli('migrate')).code).toBe(0);
  expect((await cli('tenant', 'create', 'acme', '--scopes', 'math,notes:*', '--name', 'Acme Inc')).code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tenant-mcp CLI', () => {
  it('creates a key and prints it once as JSON', async () => {
    const { code, stdout } = await cli('key', 'create', '--tenant', 'acme', '--scopes', 'math,notes:read', '--name', 'ci', '--expires-in', '30d', '--json');
    expect(code).toBe(0);
    const created = JSON.parse(stdout);
    expect(created).toMatchObject({ id: expect.any(String), key: expect.stringMatching(/^tmcp_/), tenant: 'acme', scopes: ['math', 'notes:read'], name: 'ci' });
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const listed = await cli('key', 'list', '--tenant', 'acme', '--json');
    expect(listed.stdout).toContain(created.id);
    expect(listed.stdout).not.toContain(created.key);
    expect(listed.stdout).not.toContain(parseApiKey(created.key)!.secret);
  });

  it('lists tenants and updates scopes and status', async () => {
    expect((await cli('tenant', 'update', 'acme', '--scopes', 'math,notes:*,github:read')).code).toBe(0);
    expect((await cli('tenant', 'update', 'acme', '--suspend')).stdout).toMatch(/suspended/);
    expect((await cli('tenant', 'update', 'acme', '--resume')).stdout).toMatch(/active/);
    const { stdout } = await cli('tenant', 'list');
    expect(stdout).toMatch(/^acme\s+Acme Inc\s+active\s+math,notes:\*,github:read/m);
  });

  it('revokes a key', async () => {
    const created = JSON.parse((await cli('key', 'create', '--tenant', 'acme', '--scopes', 'math', '--json')).stdout);
    expect((await cli('key', 'revoke', created.id)).stdout).toMatch(/^Revoked key/);
    const keys = JSON.parse((await cli('key', 'list', '--tenant', 'acme', '--json')).stdout);
    expect(keys.find((k: { id: string }) => k.id === created.id).revokedAt).not.toBeNull();
  });

  it('prints usage as JSON and CSV', async () => {
    const json = await cli('usage', '--format', 'json', '--since', '24h');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const csv = await cli('usage', '--format', 'csv', '--tenant', 'acme');
    expect(csv.stdout.trim()).toBe('at,tenant,keyId,subject,tool,outcome,durationMs,requestBytes,responseBytes,protocolVersion,userAgent,clientId,upstreamStatus,upstreamMs');
  });

  it('refuses bad input with one line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['tenant', 'create', 'acme', '--scopes', 'math'], /already exists/],
      [['tenant', 'create', 'Bad Slug', '--scopes', 'math'], /Invalid tenant slug/],
      [['tenant', 'create', 'x', '--scopes', 'Math!'], /Invalid scope/],
      [['key', 'create', '--tenant', 'nope', '--scopes', 'math'], /No tenant "nope"/],
      [['key', 'create', '--tenant', 'acme', '--scopes', 'billing:read'], /not allowed for tenant "acme"/],
      [['key', 'create', '--tenant', 'acme', '--scopes', 'math', '--expires-in', 'soon'], /Invalid duration/],
      [['key', 'create', '--tenant', 'acme'], /Missing --scopes/],
      [['key', 'revoke', 'nokey'], /No key/],
      [['usage', '--since', 'yesterday'], /Invalid time/],
      [['usage', '--format', 'xml'], /Unknown format/],
      [['frobnicate'], /unknown command/],
      [['tenant', 'list', '--bogus'], /Unknown option/],
    ];
    // Each case is a separate process; run them side by side.
    await Promise.all(cases.map(([args, message]) => expectOneLineError(args, message)));
  });

  it('reports an unusable database without a stack trace', async () => {
    const saved = env;
    writeFileSync(join(dir, 'a-file'), '');
    env = { ...env, DATABASE_URL: `file:${join(dir, 'a-file', 'x.db')}` };
    await expectOneLineError(['tenant', 'list'], /Cannot open database file:.*a-file/);
    env = saved;
  });
});
