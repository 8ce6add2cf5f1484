import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `tenant-mcp` CLI with only PATH and `env` in its environment; resolves whatever the exit code. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, ...env },
      maxBuffer: 64 * 1024 * 1024, // large exports
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * Runs the CLI's `main()` in this process, capturing what it prints: the same code as the binary
 * without a process start per command (about a second each on a busy 2-core machine).
 * Runs must not overlap.
 */
export async function runMain(args: string[], env: Record<string, string>): Promise<CliRun> {
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
    return { code: await main(args, env), stdout, stderr };
  } finally {
    info.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}
