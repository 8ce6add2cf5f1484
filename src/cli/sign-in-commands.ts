import { readFileSync } from 'node:fs';
import { type Config, publicUrl } from '../config.ts';
import { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import type { SignInProviderKind } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { resealConnectorSecrets } from '../services/connectors.ts';
import { getSignInMethods, type SignInMethods, setSignInMethods } from '../services/sign-in-methods.ts';
import {
  addSignInProvider,
  getSignInProvider,
  listSignInProviders,
  removeSignInProvider,
  resealSignInSecrets,
  type SignInProviderInfo,
  updateSignInProvider,
} from '../services/sign-in-providers.ts';
import { table } from './format.ts';

/** Help lines for the sign-in and secrets commands. */
export const signInHelp = `  sign-in add --kind company|tenant --name <label> --issuer <url> --client-id <id>
              [--client-secret-file <file>] [--request-scopes <list>]
              company: --tenant-claim <claim>     tenant: --tenant <slug> [--email-domains <list>]
              [--scope-claim <claim> | --grant-scopes <list>]
              [--admin-claim <claim> --admin-values <list>]   who may sign in to /portal (unset: nobody)
              [--json]
  sign-in update <id> [--name <label>] [--admin-claim <claim>|none] [--admin-values <list>] [--json]
  sign-in list [--tenant <slug>] [--json]
  sign-in show <id> [--json]
  sign-in remove <id>
  sign-in methods <slug> [--api-key on|off] [--company on|off] [--tenant-sso on|off] [--json]
  secrets reseal                                 seal stored secrets again with SECRETS_ENCRYPTION_KEY
                                                 (after rotating it; the old key in SECRETS_ENCRYPTION_OLD_KEYS)`;

/** The flags these commands add to the CLI's parser (--tenant, --name, --issuer, --json and the claim flags are shared). */
export const signInOptions = {
  kind: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-file': { type: 'string' },
  'request-scopes': { type: 'string' },
  'grant-scopes': { type: 'string' },
  'email-domains': { type: 'string' },
  'api-key': { type: 'string' },
  company: { type: 'string' },
  'tenant-sso': { type: 'string' },
  'admin-claim': { type: 'string' },
  'admin-values': { type: 'string' },
} as const;

interface SignInFlags {
  tenant?: string;
  name?: string;
  issuer?: string;
  json?: boolean;
  kind?: string;
  'client-id'?: string;
  'client-secret-file'?: string;
  'request-scopes'?: string;
  'tenant-claim'?: string;
  'scope-claim'?: string;
  'grant-scopes'?: string;
  'email-domains'?: string;
  'api-key'?: string;
  company?: string;
  'tenant-sso'?: string;
  'admin-claim'?: string;
  'admin-values'?: string;
}

type SignInCommand = (db: Database, args: string[], flags: SignInFlags, config: Config) => Promise<string>;

/** `sign-in add|update|list|show|remove|methods` and `secrets reseal`. Client secrets are read from a file, never from the command line, and never printed. */
export const signInCommands: Record<string, SignInCommand> = {
  'sign-in add': async (db, _args, flags, config) => {
    const file = flags['client-secret-file'];
    const added = await addSignInProvider(db, await secretBox(config), {
      kind: need(flags.kind, '--kind') as SignInProviderKind,
      tenant: flags.tenant,
      name: need(flags.name, '--name'),
      issuer: need(flags.issuer, '--issuer'),
      clientId: need(flags['client-id'], '--client-id'),
      clientSecret: file === undefined ? undefined : readSecretFile(file),
      requestScopes: flags['request-scopes'],
      tenantClaim: flags['tenant-claim'],
      scopeClaim: flags['scope-claim'],
      grantScopes: flags['grant-scopes'],
      emailDomains: flags['email-domains'],
      adminClaim: flags['admin-claim'],
      adminValues: flags['admin-values'],
    });
    if (flags.json) return JSON.stringify(added);
    const who = added.kind === 'company' ? `every tenant, named by claim ${added.tenantClaim}` : `tenant ${added.tenant}`;
    const line = `Added sign-in provider ${added.id} (${added.name}, ${added.issuer}) for ${who}; client secret ${added.secretKeyId ? `stored encrypted with key ${added.secretKeyId}` : 'none (public client)'}.`;
    const redirect = `Register ${publicUrl(config)}/oauth/sign-in/oidc/callback as its redirect URI at the provider.`;
    const off = config.SECRETS_ENCRYPTION_KEY ? '' : '\nSign-in with it stays off until the server runs with SECRETS_ENCRYPTION_KEY.';
    return `${line}\n${adminLine(added)}\n${redirect}${off}`;
  },

  'sign-in update': async (db, [id], flags) => {
    const claim = flags['admin-claim'];
    const updated = await updateSignInProvider(db, need(id, '<id>'), {
      name: flags.name,
      adminClaim: claim === 'none' ? null : claim,
      adminValues: flags['admin-values'],
    });
    if (flags.json) return JSON.stringify(updated);
    return `Updated sign-in provider ${updated.id} (${updated.name}).\n${adminLine(updated)}`;
  },

  'sign-in list': async (db, _args, flags) => {
    const providers = await listSignInProviders(db, flags.tenant);
    if (flags.json) return JSON.stringify(providers);
    return table(providers.map(row), ['id', 'kind', 'tenant', 'name', 'issuer', 'clientId', 'secret', 'selects', 'portalAdmins', 'createdAt']);
  },

  'sign-in show': async (db, [id], flags) => {
    const provider = await getSignInProvider(db, need(id, '<id>'));
    if (flags.json) return JSON.stringify(provider);
    return Object.entries({ ...provider, requestScopes: provider.requestScopes.join(' '), grantScopes: provider.grantScopes?.join(',') ?? '', emailDomains: provider.emailDomains.join(','), adminValues: provider.adminValues?.join(',') ?? '' })
      .map(([k, v]) => `${k.padEnd(14)} ${v ?? ''}`)
      .join('\n');
  },

  'sign-in remove': async (db, [id]) => {
    const removed = await removeSignInProvider(db, need(id, '<id>'));
    return `Removed sign-in provider ${removed.id} (${removed.name}); ended ${removed.endedGrants} grant${removed.endedGrants === 1 ? '' : 's'} given through it.`;
  },

  'sign-in methods': async (db, [slug], flags) => {
    const tenant = need(slug, '<slug>');
    const changes: Partial<SignInMethods> = { apiKey: onOff(flags['api-key'], '--api-key'), company: onOff(flags.company, '--company'), tenantSso: onOff(flags['tenant-sso'], '--tenant-sso') };
    const changing = Object.values(changes).some((v) => v !== undefined);
    const methods = changing ? await setSignInMethods(db, tenant, changes) : await getSignInMethods(db, tenant);
    if (flags.json) return JSON.stringify(methods);
    const state = (on: boolean) => (on ? 'on' : 'off');
    return `Tenant ${tenant} sign-in: api key ${state(methods.apiKey)}, company sign-in ${state(methods.company)}, tenant SSO ${state(methods.tenantSso)}.`;
  },

  'secrets reseal': async (db, _args, _flags, config) => {
    const box = await secretBox(config);
    if (!box) throw new AppError('invalid', 'Cannot reseal: set SECRETS_ENCRYPTION_KEY to the new key, and SECRETS_ENCRYPTION_OLD_KEYS to the keys it replaces');
    const count = (await resealSignInSecrets(db, box)) + (await resealConnectorSecrets(db, box));
    return `Sealed ${count} secret${count === 1 ? '' : 's'} again with key ${box.currentKeyId}.`;
  },
};

function adminLine(p: SignInProviderInfo): string {
  if (p.adminClaim === null) return 'Portal: nobody signs in to /portal through it (no --admin-claim).';
  return `Portal: users whose claim ${p.adminClaim} holds ${p.adminValues!.join(' or ')} sign in to /portal as their tenant's administrator.`;
}

function row(p: SignInProviderInfo): Record<string, unknown> {
  return {
    ...p,
    tenant: p.tenant ?? '(all)',
    secret: p.secretKeyId ? `sealed (${p.secretKeyId})` : 'none',
    selects: p.kind === 'company' ? `claim ${p.tenantClaim}` : p.emailDomains.join(',') || `organisation ${p.tenant}`,
    portalAdmins: p.adminClaim === null ? 'nobody' : `${p.adminClaim}: ${p.adminValues!.join(',')}`,
  };
}

function secretBox(config: Config): Promise<SecretBox | undefined> {
  return config.SECRETS_ENCRYPTION_KEY ? SecretBox.fromSettings(config.SECRETS_ENCRYPTION_KEY, config.SECRETS_ENCRYPTION_OLD_KEYS) : Promise.resolve(undefined);
}

function onOff(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new AppError('invalid', `Invalid ${flag} "${value}": use on or off`);
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('invalid', `Cannot read --client-secret-file ${file} (${(error as { code?: string }).code ?? 'error'})`);
  }
  // One trailing newline is the file's, not the secret's.
  return text.replace(/\r?\n$/, '');
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new AppError('invalid', `Missing ${what}`);
  return value;
}
