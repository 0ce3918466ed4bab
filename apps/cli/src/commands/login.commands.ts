import type { Command } from 'commander';
import { type KeywardAppName, KEYWARD_APPS, REGIONS, appUrlEnvName, endpointsCatalogSchema } from '@keyward/contracts';
import { CliError, EXIT, usageError } from '../cli-error';
import { AuthSession } from '../session/auth-session';
import { HttpClient, ServiceRequestError } from '../http/http-client';
import { tokenOwner, tokensFromApiKey } from '../session/iam-tokens';
import { toCliError } from '../session/service-errors';
import { present, printFields } from '../output/output';
import { type CommandEnv, valueOrFile } from './command-kit';

const APIKEY_ENV = 'KEYWARD_APIKEY';

interface LoginOptions {
  apikey?: string;
  endpoint?: string;
}

/** A file written by `api-key-create --file` is JSON with `apikey`; any other content is the key. */
function apiKeyFromFileContent(content: string): string {
  if (!content.startsWith('{')) return content;
  try {
    const parsed = JSON.parse(content) as { apikey?: unknown };
    if (typeof parsed.apikey === 'string') return parsed.apikey;
  } catch {
    // Not JSON: take the content as it is.
  }
  return content;
}

async function apiKeyFor(env: CommandEnv, options: LoginOptions): Promise<string> {
  const { context } = env;
  let key: string | undefined;
  if (options.apikey !== undefined) key = apiKeyFromFileContent(valueOrFile(options.apikey, '--apikey'));
  else if (context.env[APIKEY_ENV]) key = context.env[APIKEY_ENV];
  else if (context.interactive) key = await context.promptSecret('API key: ');
  else throw usageError('No API key given', `Give --apikey @<file> (or --apikey <key>), set ${APIKEY_ENV}, or run in a terminal to be asked`);
  key = key?.trim();
  if (!key) throw usageError('The API key is empty');
  return key;
}

function iamUrlFor(env: CommandEnv, options: LoginOptions): string {
  const fromEnv = env.context.env[appUrlEnvName('iam')];
  let previous: string | undefined;
  try {
    previous = AuthSession.storeFor(env.context).read()?.iamUrl;
  } catch {
    previous = undefined;
  }
  const url = options.endpoint ?? fromEnv ?? previous ?? `http://127.0.0.1:${KEYWARD_APPS.iam.port}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--endpoint must be a URL such as http://127.0.0.1:${KEYWARD_APPS.iam.port}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usageError('--endpoint must be an http:// or https:// URL');
  return url.replace(/\/+$/, '');
}

async function login(env: CommandEnv, options: LoginOptions, command: Command): Promise<void> {
  const { context } = env;
  const iamUrl = iamUrlFor(env, options);
  const apiKey = await apiKeyFor(env, options);
  const store = AuthSession.storeFor(context);
  const http = new HttpClient(context);

  let catalog;
  try {
    catalog = endpointsCatalogSchema.safeParse((await http.send('iam', iamUrl, { method: 'GET', path: '/v1/endpoints' })).body);
  } catch (error) {
    if (error instanceof ServiceRequestError) throw toCliError(error, `Is ${iamUrl} Keyward's IAM? Check --endpoint`);
    throw error;
  }
  if (!catalog.success) throw new CliError(EXIT.unavailable, `${iamUrl} did not answer with Keyward's endpoint catalog`, "Check --endpoint: it must be IAM's URL");
  const endpoints: Partial<Record<KeywardAppName, string>> = {};
  for (const entry of catalog.data.endpoints) if (entry.app in KEYWARD_APPS) endpoints[entry.app as KeywardAppName] = entry.url;

  let tokens;
  try {
    tokens = await tokensFromApiKey(http, iamUrl, apiKey, context.now());
  } catch (error) {
    if (error instanceof ServiceRequestError && error.error.status >= 400 && error.error.status < 500) {
      throw new CliError(EXIT.auth, `IAM did not accept the API key (${error.error.code})`, 'Check the key; an administrator can create one with `keyward iam api-key-create`', error.error.code);
    }
    if (error instanceof ServiceRequestError) throw toCliError(error);
    throw error;
  }
  const user = tokenOwner(tokens.accessToken);
  let previousTarget = {};
  try {
    const previous = store.read();
    if (previous && previous.user.accountId === user.accountId && previous.iamUrl === iamUrl) previousTarget = previous.target;
  } catch {
    previousTarget = {};
  }
  const session = AuthSession.start(context, {
    version: 1,
    iamUrl,
    endpoints,
    apiKey,
    accessToken: tokens.accessToken,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    expiration: tokens.expiration,
    user,
    target: previousTarget,
  });
  const summary = { iam_url: iamUrl, user: session.user.name, iam_id: session.user.iamId, account_id: session.user.accountId, endpoints, target: session.target };
  present(context, command, summary, () => {
    context.out(`Logged in to ${iamUrl}.`);
    printFields(context, [
      ['User', `${session.user.name} (${session.user.iamId})`],
      ['Account', session.user.accountId],
      ['Region', session.target.region ?? 'none — set one with `keyward target --region <region>`'],
      ['Resource group', session.target.resourceGroup?.name ?? 'account default'],
    ]);
  });
}

interface TargetOptions {
  region?: string;
  resourceGroup?: string;
}

interface ResourceGroup {
  id: string;
  name: string;
  default?: boolean;
}

async function target(env: CommandEnv, options: TargetOptions, command: Command): Promise<void> {
  const { context } = env;
  if (options.region !== undefined && !(REGIONS as readonly string[]).includes(options.region)) {
    throw usageError(`Unknown region "${options.region}"`, `Regions: ${REGIONS.join(', ')}`);
  }
  const session = AuthSession.load(context);
  const next = { ...session.target };
  if (options.region !== undefined) next.region = options.region;
  if (options.resourceGroup !== undefined) {
    const groups = (await session.call<{ resources: ResourceGroup[] }>('iam', { method: 'GET', path: '/v2/resource_groups' })).body.resources;
    const group = groups.find((g) => g.id === options.resourceGroup) ?? groups.find((g) => g.name === options.resourceGroup);
    if (!group) {
      throw new CliError(EXIT.refused, `No resource group "${options.resourceGroup}" in account ${session.user.accountId}`, `Groups you can see: ${groups.map((g) => g.name).join(', ') || 'none'}`);
    }
    next.resourceGroup = { id: group.id, name: group.name };
  }
  if (options.region !== undefined || options.resourceGroup !== undefined) session.updateTarget(next);
  const shown = { iam_url: session.iamUrl, user: session.user.name, iam_id: session.user.iamId, account_id: session.user.accountId, region: next.region ?? null, resource_group: next.resourceGroup ?? null };
  present(context, command, shown, () =>
    printFields(context, [
      ['IAM', session.iamUrl],
      ['User', `${session.user.name} (${session.user.iamId})`],
      ['Account', session.user.accountId],
      ['Region', next.region ?? 'none — set one with `keyward target --region <region>`'],
      ['Resource group', next.resourceGroup ? `${next.resourceGroup.name} (${next.resourceGroup.id})` : 'account default'],
    ]),
  );
}

export function registerLoginCommands(program: Command, env: CommandEnv): void {
  program
    .command('login')
    .description('log in with an API key; the other services are found through IAM')
    .option('--apikey <key>', `the API key, or @<file> to read it from a file (else ${APIKEY_ENV}, else a hidden prompt)`)
    .option('--endpoint <url>', `IAM's URL (default: ${appUrlEnvName('iam')}, the last login's, or http://127.0.0.1:${KEYWARD_APPS.iam.port})`)
    .addHelpText('after', '\nThe session (tokens and the API key) is kept in $KEYWARD_CONFIG_DIR/session.json (mode 0600).')
    .action((options: LoginOptions, command: Command) => login(env, options, command));

  program
    .command('target')
    .description('show or set the region and resource group that commands use by default')
    .option('-r, --region <region>', `the region (${REGIONS.join(', ')})`)
    .option('-g, --resource-group <name-or-id>', 'the resource group, by name or id')
    .action((options: TargetOptions, command: Command) => target(env, options, command));

  program
    .command('logout')
    .description('forget the session: tokens, API key and target')
    .action(() => {
      const removed = AuthSession.storeFor(env.context).clear();
      env.context.out(removed ? 'Logged out.' : 'You were not logged in.');
    });
}
