import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `tenant-mcp` CLI (src/cli/bin.js) as a child process against `databaseUrl`. */
export function runCli(args: string[], databaseUrl: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/bin.js', ...args],
      { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Runs the CLI's `main()` in this process, capturing what it prints: the same code as the binary
 * without a process start per command (about a second each on a busy 2-core machine).
 * Runs must not overlap.
 */
export async function runMain(args: string[], databaseUrl: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const info = vi.spyOn(console, 'info').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (stderr += `${parts.join(' ')}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += chunk.toString();
    const done = rest.find((r) => typeof r === 'function') as ((error?: Error) => void) | undefined;
    done?.();
    return true;
  });
  try {
    const code = await main(args, { DATABASE_URL: databaseUrl });
    return { code, stdout, stderr };
  } finally {
    info.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}
