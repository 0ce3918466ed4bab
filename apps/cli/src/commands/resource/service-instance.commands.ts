import type { Command } from 'commander';
import { GUID_PATTERN, REGIONS, type ServiceInstance, parseCrn } from '@keyward/contracts';
import { usageError } from '../../cli-error';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed, jsonObjectArgument, notFound } from '../command-kit';

type InstanceView = ServiceInstance & { id: string };

const LIST_HINT = 'List them with `keyward resource service-instances`';

function printInstance(env: CommandEnv, instance: InstanceView): void {
  printFields(env.context, [
    ['Name', instance.name],
    ['GUID', instance.guid],
    ['CRN', instance.crn],
    ['Service', instance.service],
    ['Plan', instance.plan],
    ['Location', instance.target],
    ['Resource group', instance.resource_group_id],
    ['State', instance.state],
    ['Created', instance.created_at],
    ['Parameters', Object.keys(instance.parameters ?? {}).length > 0 ? JSON.stringify(instance.parameters) : undefined],
  ]);
}

async function listInstances(session: AuthSession, query: { service?: string; target?: string }): Promise<InstanceView[]> {
  return (await session.call<{ resources: InstanceView[] }>('iam', { method: 'GET', path: '/v2/resource_instances', query })).body.resources;
}

/** A GUID, a CRN or a name (which must name exactly one instance the user can see). */
export async function resolveInstanceGuid(session: AuthSession, nameOrId: string): Promise<string> {
  if (GUID_PATTERN.test(nameOrId)) return nameOrId;
  const crn = parseCrn(nameOrId);
  if (crn) {
    if (!GUID_PATTERN.test(crn.serviceInstance)) throw usageError(`The CRN ${nameOrId} names no service instance`);
    return crn.serviceInstance;
  }
  const matches = (await listInstances(session, {})).filter((instance) => instance.name === nameOrId);
  if (matches.length === 0) throw notFound(`No service instance named "${nameOrId}" that you can see`, LIST_HINT);
  if (matches.length > 1) throw notFound(`${matches.length} service instances are named "${nameOrId}"`, `Give its GUID instead (${matches.map((m) => m.guid).join(', ')})`);
  return (matches[0] as InstanceView).guid;
}

interface CreateOptions {
  location?: string;
  parameters?: string;
}

export function registerServiceInstanceCommands(resource: Command, env: CommandEnv): void {
  const { context } = env;

  resource
    .command('service-instance-create')
    .description('create a service instance (kms, hs-crypto, apprapp, hyperp-dbaas-postgresql)')
    .argument('<name>', 'the instance name')
    .argument('<service>', 'the service, e.g. kms')
    .argument('<plan>', 'the plan, e.g. standard')
    .option('-l, --location <region>', `the region (${REGIONS.join(', ')}); default: the targeted region`)
    .option('-p, --parameters <json>', 'parameters as a JSON object, or @<file>')
    .action(async (name: string, service: string, plan: string, options: CreateOptions, command: Command) => {
      const parameters = options.parameters !== undefined ? jsonObjectArgument(options.parameters, '-p') : undefined;
      const session = AuthSession.load(context);
      const location = options.location ?? session.target.region;
      if (!location) throw usageError('No location given and no region targeted', 'Add --location <region>, or run `keyward target --region <region>`');
      const body = {
        name,
        service,
        plan,
        target: location,
        ...(session.target.resourceGroup ? { resource_group: session.target.resourceGroup.id } : {}),
        ...(parameters ? { parameters } : {}),
      };
      const created = (await session.call<InstanceView>('iam', { method: 'POST', path: '/v2/resource_instances', json: body })).body;
      present(context, command, created, () => {
        context.out(`Created service instance ${created.name}.`);
        printInstance(env, created);
      });
    });

  resource
    .command('service-instances')
    .description('list the service instances you can see')
    .option('--service-name <service>', 'only instances of this service')
    .option('-l, --location <region>', 'only instances in this region')
    .action(async (options: { serviceName?: string; location?: string }, command: Command) => {
      const session = AuthSession.load(context);
      const instances = await listInstances(session, { service: options.serviceName, target: options.location });
      present(context, command, instances, () =>
        printTable(
          context,
          instances,
          [
            { header: 'Name', value: (i) => i.name },
            { header: 'GUID', value: (i) => i.guid },
            { header: 'Service', value: (i) => i.service },
            { header: 'Plan', value: (i) => i.plan },
            { header: 'Location', value: (i) => i.target },
            { header: 'State', value: (i) => i.state },
          ],
          'No service instances found. Create one with `keyward resource service-instance-create`.',
        ),
      );
    });

  resource
    .command('service-instance')
    .description('show one service instance')
    .argument('<name-or-id>', 'its name, GUID or CRN')
    .action(async (nameOrId: string, _options: unknown, command: Command) => {
      const session = AuthSession.load(context);
      const guid = await resolveInstanceGuid(session, nameOrId);
      const instance = (await session.call<InstanceView>('iam', { method: 'GET', path: `/v2/resource_instances/${guid}` }, { notFoundHint: LIST_HINT })).body;
      present(context, command, instance, () => printInstance(env, instance));
    });

  resource
    .command('service-instance-delete')
    .description('delete a service instance')
    .argument('<name-or-id>', 'its name, GUID or CRN')
    .option('-f, --force', 'delete without asking')
    .action(async (nameOrId: string, options: { force?: boolean }, command: Command) => {
      const session = AuthSession.load(context);
      const guid = await resolveInstanceGuid(session, nameOrId);
      if (!(await confirmed(context, options.force, `Delete service instance ${nameOrId}?`))) {
        env.setExitCode(1);
        return;
      }
      await session.call('iam', { method: 'DELETE', path: `/v2/resource_instances/${guid}` }, { notFoundHint: LIST_HINT });
      present(context, command, { deleted: guid }, () => context.out(`Deleted service instance ${nameOrId} (${guid}).`));
    });
}

export function registerResourceGroup(program: Command, env: CommandEnv): void {
  const resource = program.command('resource').description('service instances (the resource registry)');
  registerServiceInstanceCommands(resource, env);
}
