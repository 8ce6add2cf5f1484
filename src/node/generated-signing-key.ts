import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';

/** The file, in the data directory, holding the key generated when none is configured. */
const GENERATED_KEY_FILE = 'token-signing-key.jwk';

/**
 * Returns the environment with TOKEN_SIGNING_KEY set from the data directory's generated key,
 * generating one (Ed25519, mode 0600) on first start, when no key is configured and OAuth is on.
 * `npm start` then serves OAuth clients with no setup; the log says once where the key went.
 * With `generate: false` (the CLI) an existing generated key is used and none is made.
 */
export async function withGeneratedSigningKey(
  env: Record<string, string | undefined>,
  log: (message: string) => void,
  options: { generate: boolean } = { generate: true },
): Promise<Record<string, string | undefined>> {
  if (env.TOKEN_SIGNING_KEY || env.TOKEN_SIGNING_KEY_FILE || /^(false|0|no|off|n|disabled)$/i.test(env.OAUTH_ENABLED ?? '')) return env;
  const file = join(dataDirectory(env), GENERATED_KEY_FILE);
  if (existsSync(file)) return { ...env, TOKEN_SIGNING_KEY: readFileSync(file, 'utf8') };
  if (!options.generate) return env;
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = JSON.stringify(await exportJWK(privateKey));
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${jwk}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((error as { code?: string }).code === 'EEXIST') return { ...env, TOKEN_SIGNING_KEY: readFileSync(file, 'utf8') };
    throw new Error(`Cannot write a generated token signing key to ${file} (${(error as { code?: string }).code ?? 'error'}): set TOKEN_SIGNING_KEY or DATA_DIR`);
  }
  log(`Generated a token signing key (Ed25519) in ${file} (mode 0600). Back it up, or set TOKEN_SIGNING_KEY; every instance must share it.`);
  return { ...env, TOKEN_SIGNING_KEY: jwk };
}

/** DATA_DIR, else the folder of a file: DATABASE_URL, else ./data. */
function dataDirectory(env: Record<string, string | undefined>): string {
  if (env.DATA_DIR) return resolve(env.DATA_DIR);
  const url = env.DATABASE_URL ?? 'file:./data/tenant-mcp.db';
  if (url.startsWith('file://')) return dirname(fileURLToPath(url));
  if (url.startsWith('file:')) return dirname(resolve(url.slice('file:'.length).split('?')[0]!));
  return resolve('data');
}
