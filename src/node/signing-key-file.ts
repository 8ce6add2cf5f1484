import { readFileSync } from 'node:fs';

/**
 * Returns the environment with TOKEN_SIGNING_KEY read from TOKEN_SIGNING_KEY_FILE, when that is
 * set. Runtimes without a file system pass the key itself in TOKEN_SIGNING_KEY.
 */
export function withSigningKeyFile(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const file = env.TOKEN_SIGNING_KEY_FILE;
  if (!file) return env;
  if (env.TOKEN_SIGNING_KEY) throw new Error('Invalid configuration: set TOKEN_SIGNING_KEY or TOKEN_SIGNING_KEY_FILE, not both');
  try {
    return { ...env, TOKEN_SIGNING_KEY: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new Error(`Invalid configuration: TOKEN_SIGNING_KEY_FILE: cannot read ${file} (${(error as { code?: string }).code ?? 'error'})`);
  }
}
