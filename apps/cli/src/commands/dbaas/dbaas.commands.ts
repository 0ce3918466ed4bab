import type { Command } from 'commander';
import { REGIONS } from '@keyward/contracts';
import { CliError, EXIT, usageError } from '../../cli-error';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed, jsonObjectArgument, notFound } from '../command-kit';

export const DBAAS_PLANS = ['free', 'standard', 'enterprise'] as const;

export interface ClusterView {
  id: string;
  crn: string;
  name: string;
  region: string;
  plan: string;
  kms: { serviceName: string; instanceId: string; keyId: string; keyCrn: string } | null;
  backupKeyCrn: string | null;
  databases: string[];
  users: string[];
  createdAt: string;
}
export interface NodeView {
  id: string;
  name: string;
  status: string;
  keyStatus: string;
}
export interface BackupView {
  id: string;
  clusterId: string;
  backupKeyCrn: string;
  keyVersionId: string;
  rowCount: number;
  createdAt: string;
}

const CLUSTERS_HINT = 'List your clusters with `keyward dbaas clusters`';
const collect = (value: string, previous: string[]) => [...previous, value];

export interface ClusterOptions {
  kmsKeyCrn?: string;
  backupKeyCrn?: string;
  region?: string;
  plan?: string;
  database: string[];
  user: string[];
}

/** The body of a new cluster (creation and restore): region from the flag, else the target, else us-south. */
export function clusterBody(name: string, options: ClusterOptions, targetRegion: string | undefined) {
  const region = options.region ?? targetRegion ?? 'us-south';
  if (!(REGIONS as readonly string[]).includes(region)) throw usageError(`Unknown region "${region}"`, `Use one of ${REGIONS.join(', ')}`);
  const plan = options.plan ?? 'standard';
  if (!(DBAAS_PLANS as readonly string[]).includes(plan)) throw usageError(`Unknown plan "${plan}"`, `Use one of ${DBAAS_PLANS.join(', ')}`);
  return {
    name,
    region,
    plan,
    ...(options.kmsKeyCrn ? { keyCrn: options.kmsKeyCrn } : {}),
    ...(options.backupKeyCrn ? { backupKeyCrn: options.backupKeyCrn } : {}),
    ...(options.database.length > 0 ? { databases: options.database } : {}),
    ...(options.user.length > 0 ? { users: options.user } : {}),
  };
}

function dbaas(env: CommandEnv) {
  const session = AuthSession.load(env.context);
  return {
    session,
    call: async <T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, json?: unknown) =>
      (await session.call<T>('dbaas', { method, path: `/api/v1${path}`, ...(json === undefined ? {} : { json }) }, { notFoundHint: CLUSTERS_HINT })).body,
  };
}

const clusterPath = (id: string, suffix = '') => `/clusters/${encodeURIComponent(id)}${suffix}`;

export function printCluster(env: CommandEnv, cluster: ClusterView): void {
  printFields(env.context, [
    ['ID', cluster.id],
    ['Name', cluster.name],
    ['CRN', cluster.crn],
    ['Region', cluster.region],
    ['Plan', cluster.plan],
    ['KMS', cluster.kms ? `${cluster.kms.serviceName} instance ${cluster.kms.instanceId}` : undefined],
    ['Root key CRN', cluster.kms?.keyCrn],
    ['Backup key CRN', cluster.backupKeyCrn ?? undefined],
    ['Databases', cluster.databases.join(', ')],
    ['Users', cluster.users.join(', ')],
    ['Created', cluster.createdAt],
  ]);
}

function withClusterFlags(command: Command, keyHelp: string): Command {
  return command
    .option('--kms-key-crn <crn>', keyHelp)
    .option('--backup-key-crn <crn>', 'a separate root key for backups (default: the cluster key)')
    .option('--region <region>', `${REGIONS.join(', ')} (default: the targeted region, else us-south)`)
    .option('--plan <plan>', `${DBAAS_PLANS.join(', ')} (default standard)`)
    .option('--database <name>', 'a database to create; repeat for more', collect, [])
    .option('--user <name>', 'a database user to create; repeat for more', collect, []);
}

/** `keyward dbaas …`: Hyper Protect DBaaS clusters encrypted with a customer root key (seed 004). */
export function registerDbaasGroup(program: Command, env: CommandEnv): void {
  const { context } = env;
  const group = program.command('dbaas').description('Hyper Protect DBaaS for PostgreSQL: clusters encrypted with your root key, backups, restore');

  const cluster = group.command('cluster').description('create, show or delete a cluster');
  withClusterFlags(cluster.command('create').description('create a cluster; its root key is chosen now and cannot change later').argument('<name>', 'the cluster name'), 'the root key that encrypts the cluster (Key Protect or HPCS CRN)')
    .action(async (name: string, options: ClusterOptions, command: Command) => {
      const api = dbaas(env);
      const created = await api.call<ClusterView>('POST', '/clusters', clusterBody(name, options, api.session.target.region));
      present(context, command, created, () => {
        context.out(`Created cluster ${created.name} (${created.id}).`);
        printCluster(env, created);
        context.err(`Next: see its nodes' key status with \`keyward dbaas nodes ${created.id}\`.`);
      });
    });
  cluster
    .command('show')
    .description('show a cluster')
    .argument('<cluster>', 'the cluster id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const found = await dbaas(env).call<ClusterView>('GET', clusterPath(id));
      present(context, command, found, () => printCluster(env, found));
    });
  cluster
    .command('delete')
    .description('delete a cluster with its data, backups and key registrations')
    .argument('<cluster>', 'the cluster id')
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: { force?: boolean }, command: Command) => {
      if (!(await confirmed(context, options.force, `Delete cluster ${id} with its data and backups?`))) return env.setExitCode(1);
      await dbaas(env).call('DELETE', clusterPath(id));
      present(context, command, { id, deleted: true }, () => context.out(`Deleted cluster ${id}.`));
    });

  group
    .command('clusters')
    .description('list your clusters')
    .action(async (_options: unknown, command: Command) => {
      const list = (await dbaas(env).call<{ clusters: ClusterView[] }>('GET', '/clusters')).clusters;
      present(context, command, list, () =>
        printTable(
          context,
          list,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'Name', value: (c) => c.name },
            { header: 'Region', value: (c) => c.region },
            { header: 'Plan', value: (c) => c.plan },
            { header: 'Root key', value: (c) => c.kms?.keyId ?? '' },
          ],
          'No clusters.',
        ),
      );
    });

  group
    .command('nodes')
    .description("a cluster's nodes and the status of its root key on each (active, disabled, deleted, destroyed)")
    .argument('<cluster>', 'the cluster id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const nodes = (await dbaas(env).call<{ nodes: NodeView[] }>('GET', clusterPath(id, '/nodes'))).nodes;
      present(context, command, nodes, () =>
        printTable(context, nodes, [{ header: 'Node', value: (n) => n.name }, { header: 'Status', value: (n) => n.status }, { header: 'Key status', value: (n) => n.keyStatus }, { header: 'ID', value: (n) => n.id }], 'No nodes.'),
      );
    });

  group
    .command('backup')
    .description('take a backup now, encrypted with the backup key')
    .argument('<cluster>', 'the cluster id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const backup = await dbaas(env).call<BackupView>('POST', clusterPath(id, '/backups'));
      present(context, command, backup, () => {
        context.out(`Backed up cluster ${id}: backup ${backup.id} (${backup.rowCount} rows).`);
        printFields(context, [['Backup', backup.id], ['Backup key CRN', backup.backupKeyCrn], ['Rows', String(backup.rowCount)], ['Created', backup.createdAt]]);
      });
    });

  group
    .command('backups')
    .description("a cluster's backups")
    .argument('<cluster>', 'the cluster id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const list = (await dbaas(env).call<{ backups: BackupView[] }>('GET', clusterPath(id, '/backups'))).backups;
      present(context, command, list, () =>
        printTable(context, list, [{ header: 'Backup', value: (b) => b.id }, { header: 'Rows', value: (b) => String(b.rowCount) }, { header: 'Backup key', value: (b) => b.backupKeyCrn }, { header: 'Created', value: (b) => b.createdAt }], 'No backups.'),
      );
    });

  withClusterFlags(
    group
      .command('restore')
      .description('restore a backup into a NEW cluster (with its own root key): the way to recover data or move to another key')
      .argument('<backup>', 'the backup id')
      .requiredOption('--name <name>', 'the new cluster name')
      .option('--cluster <cluster>', 'the cluster the backup belongs to (default: found among your clusters)'),
    'the root key of the new cluster',
  ).action(async (backupId: string, options: ClusterOptions & { name: string; cluster?: string }, command: Command) => {
    const api = dbaas(env);
    let source = options.cluster;
    if (!source) {
      const clusters = (await api.call<{ clusters: ClusterView[] }>('GET', '/clusters')).clusters;
      for (const candidate of clusters) {
        const backups = (await api.call<{ backups: BackupView[] }>('GET', clusterPath(candidate.id, '/backups'))).backups;
        if (backups.some((b) => b.id === backupId)) source = candidate.id;
        if (source) break;
      }
      if (!source) throw notFound(`No cluster of yours has backup ${backupId}`, 'List a cluster\'s backups with `keyward dbaas backups <cluster>`');
    }
    const restored = await api.call<ClusterView>('POST', clusterPath(source, `/backups/${encodeURIComponent(backupId)}/restore`), clusterBody(options.name, options, api.session.target.region));
    present(context, command, restored, () => {
      context.out(`Restored backup ${backupId} into the new cluster ${restored.name} (${restored.id}).`);
      printCluster(env, restored);
    });
  });

  const row = group.command('row').description('write or read a row of a table (encrypted with the cluster key)');
  row
    .command('create')
    .description('insert a row: a JSON object with an "id"')
    .argument('<cluster>', 'the cluster id')
    .argument('<table>', 'the table')
    .argument('<json>', 'the row as a JSON object, or @<file>')
    .action(async (id: string, table: string, json: string, _options: unknown, command: Command) => {
      const value = jsonObjectArgument(json, '<json>');
      if (value['id'] === undefined) throw usageError('The row needs an "id"');
      const created = await dbaas(env).call<Record<string, unknown>>('POST', clusterPath(id, `/tables/${encodeURIComponent(table)}/rows`), value);
      present(context, command, created, () => context.out(`Inserted row ${String(created['id'])} into ${table}.`));
    });
  row
    .command('show')
    .description('read a row')
    .argument('<cluster>', 'the cluster id')
    .argument('<table>', 'the table')
    .argument('<row>', 'the row id')
    .action(async (id: string, table: string, rowId: string, _options: unknown, command: Command) => {
      const found = await dbaas(env).call<Record<string, unknown>>('GET', clusterPath(id, `/tables/${encodeURIComponent(table)}/rows/${encodeURIComponent(rowId)}`));
      if (!found || typeof found !== 'object') throw new CliError(EXIT.unavailable, 'dbaas: the answer is not a row');
      present(context, command, found, () => printFields(context, Object.entries(found).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const)));
    });
}
