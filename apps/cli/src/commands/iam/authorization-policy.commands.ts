import type { Command } from 'commander';
import type { CliContext } from '../../cli-context';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed } from '../command-kit';
import { type PolicyV2, POLICY_ID_COLUMN, attribute, attributes, deletePolicy, getPolicy, listPolicies, policyNotFound, roleIds, roleNames } from './policy-wire';

const LIST = 'keyward iam authorization-policies';

interface CreateOptions {
  sourceServiceInstanceId?: string;
  targetServiceInstanceId?: string;
  sourceResourceGroupId?: string;
  sourceServiceAccount?: string;
  delegate?: boolean;
  description?: string;
}

function source(policy: PolicyV2): string {
  const attrs = policy.subject.attributes;
  const parts = [attribute(attrs, 'serviceName') ?? 'any service'];
  const instance = attribute(attrs, 'serviceInstance');
  if (instance) parts.push(`instance ${instance}`);
  const group = attribute(attrs, 'resourceGroupId');
  if (group) parts.push(`group ${group}`);
  return parts.join(' ');
}

function target(policy: PolicyV2): string {
  const attrs = policy.resource.attributes;
  const instance = attribute(attrs, 'serviceInstance');
  return `${attribute(attrs, 'serviceName') ?? '?'}${instance ? ` instance ${instance}` : ''}`;
}

function printPolicy(context: CliContext, policy: PolicyV2): void {
  printFields(context, [
    ['ID', policy.id],
    ['Source', `${source(policy)} (account ${attribute(policy.subject.attributes, 'accountId') ?? '?'})`],
    ['Target', target(policy)],
    ['Roles', roleNames(policy)],
    ['Delegates to dependents', policy.delegate_dependents ? 'yes' : undefined],
    ['Delegated from', policy.delegated_from],
    ['Description', policy.description],
  ]);
}

export function registerAuthorizationPolicyCommands(iam: Command, env: CommandEnv): void {
  const { context } = env;

  iam
    .command('authorization-policy-create')
    .description('let a source service act on a target service (service-to-service authorization)')
    .argument('<source-service>', 'the service that gets access, e.g. apprapp')
    .argument('<target-service>', 'the service it may use, e.g. kms')
    .argument('<roles>', 'service roles of the target, comma-separated, e.g. Reader')
    .option('--source-service-instance-id <guid>', 'only this instance of the source service')
    .option('--target-service-instance-id <guid>', 'only this instance of the target service')
    .option('--source-resource-group-id <id>', 'only source instances in this resource group')
    .option('--source-service-account <account-id>', "the source's account, when it is not yours")
    .option('--delegate', "also grant the source service's dependent services (e.g. hyperp-dbaas-postgresql → hyperp-dbaas-backup)")
    .option('-d, --description <text>', 'a description')
    .action(async (sourceService: string, targetService: string, roles: string, options: CreateOptions, command: Command) => {
      const grants = roleIds(roles, true);
      const session = AuthSession.load(context);
      const account = session.user.accountId;
      const body = {
        type: 'authorization',
        ...(options.description ? { description: options.description } : {}),
        subject: {
          attributes: attributes({
            accountId: options.sourceServiceAccount ?? account,
            serviceName: sourceService,
            serviceInstance: options.sourceServiceInstanceId,
            resourceGroupId: options.sourceResourceGroupId,
          }),
        },
        resource: { attributes: attributes({ accountId: account, serviceName: targetService, serviceInstance: options.targetServiceInstanceId }) },
        control: { grant: { roles: grants } },
        ...(options.delegate ? { delegate_dependents: true } : {}),
      };
      const created = (await session.call<PolicyV2>('iam', { method: 'POST', path: '/v2/policies', json: body })).body;
      present(context, command, created, () => {
        context.out(`Created authorization policy ${created.id}.`);
        printPolicy(context, created);
      });
    });

  iam
    .command('authorization-policies')
    .description("list the account's authorization policies")
    .action(async (_options: unknown, command: Command) => {
      const session = AuthSession.load(context);
      const policies = await listPolicies(session, 'authorization');
      present(context, command, policies, () =>
        printTable(
          context,
          policies,
          [
            POLICY_ID_COLUMN,
            { header: 'Source', value: source },
            { header: 'Target', value: target },
            { header: 'Roles', value: roleNames },
            { header: 'Delegated from', value: (p) => p.delegated_from ?? (p.delegate_dependents ? '(delegates)' : '') },
          ],
          'No authorization policies. Create one with `keyward iam authorization-policy-create`.',
        ),
      );
    });

  iam
    .command('authorization-policy-delete')
    .description('delete an authorization policy (and the policies it delegated)')
    .argument('<policy-id>', 'the policy id')
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: { force?: boolean }, command: Command) => {
      const session = AuthSession.load(context);
      // Only authorizations: an access policy id given here by mistake is not deleted.
      if ((await getPolicy(session, id, LIST)).type !== 'authorization') throw policyNotFound(id, LIST);
      if (!(await confirmed(context, options.force, `Delete authorization policy ${id}?`))) {
        env.setExitCode(1);
        return;
      }
      await deletePolicy(session, id, LIST);
      present(context, command, { deleted: id }, () => context.out(`Deleted authorization policy ${id}.`));
    });
}
