import type { Command } from 'commander';
import type { CliContext } from '../../cli-context';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed } from '../command-kit';
import { serviceIdIamId } from './identity.commands';
import { type PolicyV2, POLICY_ID_COLUMN, attribute, attributes, deletePolicy, describeResource, getPolicy, listPolicies, policyNotFound, roleIds, roleNames } from './policy-wire';

interface CreateOptions {
  roles: string;
  serviceName?: string;
  serviceInstance?: string;
  resourceGroupId?: string;
  resourceType?: string;
  resource?: string;
  description?: string;
}

function printPolicy(context: CliContext, policy: PolicyV2): void {
  printFields(context, [
    ['ID', policy.id],
    ['Subject', attribute(policy.subject.attributes, 'iam_id')],
    ['Resource', describeResource(policy)],
    ['Roles', roleNames(policy)],
    ['Description', policy.description],
  ]);
}

/** user-policy-* and service-policy-*: the same access policies, for a user or a service ID. */
function registerFor(iam: Command, env: CommandEnv, kind: { prefix: 'user' | 'service'; subject: string; argument: string; toIamId(value: string): string }): void {
  const { context } = env;
  const list = `keyward iam ${kind.prefix}-policies`;

  iam
    .command(`${kind.prefix}-policy-create`)
    .description(`give a ${kind.subject} roles on a service, instance, resource group or the whole account`)
    .argument(`<${kind.argument}>`, kind.prefix === 'user' ? "the user's IAM ID (IBMid-…)" : 'the service ID (ServiceId-… or iam-ServiceId-…)')
    .requiredOption('--roles <roles>', 'comma-separated roles: platform (Viewer, Operator, Editor, Administrator) and service (Reader, Writer, Manager, …)')
    .option('--service-name <service>', 'only this service (default: every service of the account)')
    .option('--service-instance <guid>', 'only this instance')
    .option('--resource-group-id <id>', 'only this resource group')
    .option('--resource-type <type>', 'only this resource type (e.g. key)')
    .option('--resource <id>', 'only this resource')
    .option('-d, --description <text>', 'a description')
    .action(async (subject: string, options: CreateOptions, command: Command) => {
      const grants = roleIds(options.roles, false);
      const session = AuthSession.load(context);
      const body = {
        type: 'access',
        ...(options.description ? { description: options.description } : {}),
        subject: { attributes: attributes({ iam_id: kind.toIamId(subject) }) },
        resource: {
          attributes: attributes({
            accountId: session.user.accountId,
            serviceName: options.serviceName,
            serviceInstance: options.serviceInstance,
            resourceGroupId: options.resourceGroupId,
            resourceType: options.resourceType,
            resource: options.resource,
          }),
        },
        control: { grant: { roles: grants } },
      };
      const created = (await session.call<PolicyV2>('iam', { method: 'POST', path: '/v2/policies', json: body })).body;
      present(context, command, created, () => {
        context.out(`Created access policy ${created.id}.`);
        printPolicy(context, created);
      });
    });

  iam
    .command(`${kind.prefix}-policies`)
    .description(`list a ${kind.subject}'s access policies`)
    .argument(`<${kind.argument}>`, `the ${kind.subject}`)
    .action(async (subject: string, _options: unknown, command: Command) => {
      const session = AuthSession.load(context);
      const iamId = kind.toIamId(subject);
      const policies = (await listPolicies(session, 'access')).filter((p) => attribute(p.subject.attributes, 'iam_id') === iamId);
      present(context, command, policies, () =>
        printTable(
          context,
          policies,
          [POLICY_ID_COLUMN, { header: 'Resource', value: describeResource }, { header: 'Roles', value: roleNames }, { header: 'Description', value: (p) => p.description ?? '' }],
          `No access policies for ${iamId}.`,
        ),
      );
    });

  iam
    .command(`${kind.prefix}-policy-delete`)
    .description(`delete one of a ${kind.subject}'s access policies`)
    .argument(`<${kind.argument}>`, `the ${kind.subject}`)
    .argument('<policy-id>', 'the policy id')
    .option('-f, --force', 'delete without asking')
    .action(async (subject: string, id: string, options: { force?: boolean }, command: Command) => {
      const session = AuthSession.load(context);
      const policy = await getPolicy(session, id, list);
      // The subject must match, so a mistyped pair never deletes someone else's policy.
      if (policy.type !== 'access' || attribute(policy.subject.attributes, 'iam_id') !== kind.toIamId(subject)) throw policyNotFound(id, `${list} ${subject}`);
      if (!(await confirmed(context, options.force, `Delete access policy ${id}?`))) {
        env.setExitCode(1);
        return;
      }
      await deletePolicy(session, id, list);
      present(context, command, { deleted: id }, () => context.out(`Deleted access policy ${id}.`));
    });
}

export function registerAccessPolicyCommands(iam: Command, env: CommandEnv): void {
  registerFor(iam, env, { prefix: 'user', subject: 'user', argument: 'user-iam-id', toIamId: (v) => v });
  registerFor(iam, env, { prefix: 'service', subject: 'service ID', argument: 'service-id', toIamId: serviceIdIamId });
}
