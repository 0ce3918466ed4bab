import type { Command } from 'commander';
import { usageError } from '../../cli-error';
import { present, printFields, printTable } from '../../output/output';
import { AuthSession } from '../../session/auth-session';
import { type CommandEnv, confirmed } from '../command-kit';
import { type KpCollection, KpClient, keyPath } from '../kp/kp-client';
import { resolveInstanceGuid } from '../resource/service-instance.commands';
import { type FeatureOptions, collectAttr, entityAttributes, featureBody, instancePath, integrationBody, integrationService, segmentRule } from './app-config-requests';

interface InstanceOption {
  instanceId: string;
}
interface EnvOption extends InstanceOption {
  environment: string;
}

interface IntegrationView {
  integration_id: string;
  service: string;
  service_name: string;
  kms_instance_id: string;
  root_key_id: string;
  root_key_crn: string;
  registered_crn: string;
  key_version_id: string;
  key_state: string;
  restorable_until?: string;
  created_time: string;
}
interface SegmentView {
  segment_id: string;
  name: string;
  rules: { attribute_name: string; operator: string; values: unknown[] }[];
  updated_time: string;
}
interface FeatureView {
  feature_id: string;
  name: string;
  type: string;
  enabled: boolean;
  enabled_value: unknown;
  disabled_value: unknown;
  rollout_percentage: number;
  segment_rules: { rules: { segments: string[] }[]; value: unknown; order: number }[];
}
interface EnvironmentView {
  environment_id: string;
  name: string;
}

const collect = collectAttr;
const ruleText = (s: SegmentView) => s.rules.map((r) => `${r.attribute_name} ${r.operator} ${r.values.join(',')}`).join(' AND ');

/** The App Configuration API of one instance (`-i` a GUID, name or CRN), through the session. */
async function appConfig(env: CommandEnv, instanceArg: string) {
  const session = AuthSession.load(env.context);
  const guid = await resolveInstanceGuid(session, instanceArg);
  const hint = 'List instances with `keyward resource service-instances --service-name apprapp`';
  return {
    session,
    guid,
    call: async <T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', suffix: string, json?: unknown) =>
      (await session.call<T>('app-configuration', { method, path: instancePath(guid, suffix), ...(json === undefined ? {} : { json }) }, { notFoundHint: hint })).body,
  };
}

function withInstance(command: Command): Command {
  return command.requiredOption('-i, --instance-id <instance>', 'the App Configuration instance: GUID, name or CRN');
}
function withEnvironment(command: Command): Command {
  return withInstance(command).requiredOption('-e, --environment <id>', 'the environment id');
}

export function printIntegration(env: CommandEnv, integration: IntegrationView): void {
  printFields(env.context, [
    ['Service', integration.service_name],
    ['KMS instance', integration.kms_instance_id],
    ['Root key', integration.root_key_id],
    ['Root key CRN', integration.root_key_crn],
    ['Key version', integration.key_version_id],
    ['Key state', integration.key_state],
    ['Restorable until', integration.restorable_until],
    ['Registered as', integration.registered_crn],
    ['Connected', integration.created_time],
  ]);
}

/** `keyward app-config …`: App Configuration's Key Management integration, segments, features and evaluation (seed 000). */
export function registerAppConfigGroup(program: Command, env: CommandEnv): void {
  const { context } = env;
  const group = program.command('app-config').description('App Configuration: feature flags and segments, encrypted with your root key (Enterprise plan)');

  const integration = group.command('integration').description('the Key Management integration ("Connected instance")');
  withInstance(integration.command('create').description('connect a Key Protect or Hyper Protect Crypto Services root key: segment data is then stored only as ciphertext under it'))
    .requiredOption('--root-key <key>', 'the root key: its CRN, or its id with --kms-instance')
    .option('--kms-instance <instance>', 'the KMS instance holding the key (GUID, name or CRN); needed when --root-key is an id')
    .option('--service <service>', 'kms (Key Protect) or hs-crypto (Hyper Protect Crypto Services); default: from the key CRN')
    .action(async (options: InstanceOption & { rootKey: string; kmsInstance?: string; service?: string }, command: Command) => {
      // Flag errors first, so nothing is looked up or sent for a command line that cannot work.
      if (options.service !== undefined || options.rootKey.startsWith('crn:')) integrationService(options.service, options.rootKey);
      if (!options.rootKey.startsWith('crn:') && !options.kmsInstance) throw usageError('--root-key is not a CRN: give --kms-instance too, or the key CRN (`keyward kp keys -i <instance> -c`)');
      const api = await appConfig(env, options.instanceId);
      let rootKeyCrn = options.rootKey;
      let kmsInstanceId: string | undefined;
      if (options.kmsInstance) kmsInstanceId = await resolveInstanceGuid(api.session, options.kmsInstance);
      if (!rootKeyCrn.startsWith('crn:') && options.kmsInstance) {
        const kp = await KpClient.open(env, options.kmsInstance);
        const key = KpClient.first((await kp.call<KpCollection<{ crn: string }>>({ method: 'GET', path: keyPath(options.rootKey, '/metadata') })));
        rootKeyCrn = key.crn;
      }
      const created = await api.call<IntegrationView>('POST', '/integrations', integrationBody({ rootKeyCrn, service: options.service, kmsInstanceId }));
      present(context, command, created, () => {
        context.out(`Connected ${created.service_name} to App Configuration instance ${options.instanceId}: segment data is now encrypted with root key ${created.root_key_id}.`);
        printIntegration(env, created);
      });
    });

  withInstance(group.command('integrations').description('show the Key Management integration and the state of its root key'))
    .action(async (options: InstanceOption, command: Command) => {
      const api = await appConfig(env, options.instanceId);
      const body = await api.call<{ integrations: IntegrationView[] }>('GET', '/integrations');
      present(context, command, body.integrations, () => {
        if (body.integrations.length === 0) context.out('No integrations: segment data is stored without a customer key.');
        for (const item of body.integrations) printIntegration(env, item);
      });
    });

  withInstance(group.command('environments').description('list the environments')).action(async (options: InstanceOption, command: Command) => {
    const api = await appConfig(env, options.instanceId);
    const list = (await api.call<{ environments: EnvironmentView[] }>('GET', '/environments')).environments;
    present(context, command, list, () => printTable(context, list, [{ header: 'Environment', value: (e) => e.environment_id }, { header: 'Name', value: (e) => e.name }], 'No environments.'));
  });

  const environment = group.command('environment').description('create or delete an environment');
  withInstance(environment.command('create').description('create an environment').argument('<id>', 'the environment id'))
    .option('--name <name>', 'its name (default: the id)')
    .action(async (id: string, options: InstanceOption & { name?: string }, command: Command) => {
      const api = await appConfig(env, options.instanceId);
      const created = await api.call<EnvironmentView>('POST', '/environments', { environment_id: id, name: options.name ?? id });
      present(context, command, created, () => context.out(`Created environment ${created.environment_id}.`));
    });
  withInstance(environment.command('delete').description('delete an environment with its features and properties').argument('<id>', 'the environment id'))
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: InstanceOption & { force?: boolean }, command: Command) => {
      if (!(await confirmed(context, options.force, `Delete environment ${id} with its features and properties?`))) return env.setExitCode(1);
      const api = await appConfig(env, options.instanceId);
      await api.call('DELETE', `/environments/${encodeURIComponent(id)}`);
      present(context, command, { environment_id: id, deleted: true }, () => context.out(`Deleted environment ${id}.`));
    });

  withInstance(group.command('segments').description('list the segments (decrypted with the root key when an integration exists)'))
    .action(async (options: InstanceOption, command: Command) => {
      const api = await appConfig(env, options.instanceId);
      const list = (await api.call<{ segments: SegmentView[] }>('GET', '/segments')).segments;
      present(context, command, list, () =>
        printTable(context, list, [{ header: 'Segment', value: (s) => s.segment_id }, { header: 'Name', value: (s) => s.name }, { header: 'Rules', value: ruleText }], 'No segments.'),
      );
    });

  const segment = group.command('segment').description('create or delete a segment');
  withInstance(segment.command('create').description('create a segment: entities matching every rule').argument('<id>', 'the segment id'))
    .option('--name <name>', 'its name (default: the id)')
    .option('--rule <rule>', '"ATTRIBUTE OPERATOR VALUE[,VALUE…]", e.g. "email endsWith @example.com"; repeat for more (all must hold)', collect, [])
    .action(async (id: string, options: InstanceOption & { name?: string; rule: string[] }, command: Command) => {
      if (options.rule.length === 0) throw usageError('At least one --rule is needed', 'e.g. --rule "email endsWith @example.com"');
      const rules = options.rule.map(segmentRule);
      const api = await appConfig(env, options.instanceId);
      const created = await api.call<SegmentView>('POST', '/segments', { segment_id: id, name: options.name ?? id, rules });
      present(context, command, created, () => context.out(`Created segment ${created.segment_id}: ${ruleText(created)}.`));
    });
  withInstance(segment.command('delete').description('delete a segment no feature uses').argument('<id>', 'the segment id'))
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: InstanceOption & { force?: boolean }, command: Command) => {
      if (!(await confirmed(context, options.force, `Delete segment ${id}?`))) return env.setExitCode(1);
      const api = await appConfig(env, options.instanceId);
      await api.call('DELETE', `/segments/${encodeURIComponent(id)}`);
      present(context, command, { segment_id: id, deleted: true }, () => context.out(`Deleted segment ${id}.`));
    });

  withEnvironment(group.command('features').description('list the features of an environment')).action(async (options: EnvOption, command: Command) => {
    const api = await appConfig(env, options.instanceId);
    const list = (await api.call<{ features: FeatureView[] }>('GET', `/environments/${encodeURIComponent(options.environment)}/features`)).features;
    present(context, command, list, () =>
      printTable(
        context,
        list,
        [
          { header: 'Feature', value: (f) => f.feature_id },
          { header: 'Type', value: (f) => f.type },
          { header: 'Enabled', value: (f) => String(f.enabled) },
          { header: 'Values', value: (f) => `${String(f.enabled_value)} / ${String(f.disabled_value)}` },
          { header: 'Rollout', value: (f) => `${f.rollout_percentage}%` },
          { header: 'Segment rules', value: (f) => f.segment_rules.map((r) => `${r.rules.flatMap((x) => x.segments).join('+')}=${String(r.value)}`).join(' ') },
        ],
        'No features.',
      ),
    );
  });

  const feature = group.command('feature').description('create or delete a feature');
  withEnvironment(feature.command('create').description('create a feature flag').argument('<id>', 'the feature id'))
    .option('--name <name>', 'its name (default: the id)')
    .option('--type <type>', 'BOOLEAN (default), STRING or NUMERIC')
    .option('--enabled-value <value>', 'the value when enabled (default true / on / 1)')
    .option('--disabled-value <value>', 'the value when disabled (default false / off / 0)')
    .option('--enabled', 'turn it on (default off)')
    .option('--rollout <percent>', 'the share of other entities that get the enabled value (default 100)')
    .option('--segment-rule <segment=value>', 'entities in SEGMENT get VALUE (SEG1+SEG2 for several segments); repeat, first match wins', collect, [])
    .action(async (id: string, options: EnvOption & FeatureOptions, command: Command) => {
      const body = featureBody(id, options);
      const api = await appConfig(env, options.instanceId);
      const created = await api.call<FeatureView>('POST', `/environments/${encodeURIComponent(options.environment)}/features`, body);
      present(context, command, created, () => context.out(`Created feature ${created.feature_id} (${created.enabled ? 'enabled' : 'disabled'}).`));
    });
  withEnvironment(feature.command('delete').description('delete a feature').argument('<id>', 'the feature id'))
    .option('-f, --force', 'delete without asking')
    .action(async (id: string, options: EnvOption & { force?: boolean }, command: Command) => {
      if (!(await confirmed(context, options.force, `Delete feature ${id}?`))) return env.setExitCode(1);
      const api = await appConfig(env, options.instanceId);
      await api.call('DELETE', `/environments/${encodeURIComponent(options.environment)}/features/${encodeURIComponent(id)}`);
      present(context, command, { feature_id: id, deleted: true }, () => context.out(`Deleted feature ${id}.`));
    });

  withEnvironment(group.command('evaluate').description("evaluate a feature for an entity: the value it gets and why").argument('<feature>', 'the feature id'))
    .requiredOption('--entity <id>', 'the entity id (a user, a device…)')
    .option('--attr <name=value>', 'an attribute of the entity (true/false and numbers are typed); repeat for more', collect, [])
    .action(async (featureId: string, options: EnvOption & { entity: string; attr: string[] }, command: Command) => {
      const body = { entity_id: options.entity, entity_attributes: entityAttributes(options.attr) };
      const api = await appConfig(env, options.instanceId);
      const result = await api.call<{ value: unknown; reason: string; segment_rule_order?: number }>(
        'POST',
        `/environments/${encodeURIComponent(options.environment)}/features/${encodeURIComponent(featureId)}/evaluate`,
        body,
      );
      present(context, command, result, () =>
        printFields(context, [
          ['Feature', featureId],
          ['Entity', options.entity],
          ['Value', String(result.value)],
          ['Reason', result.reason + (result.segment_rule_order === undefined ? '' : ` (segment rule ${result.segment_rule_order})`)],
        ]),
      );
    });
}
