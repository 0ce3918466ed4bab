import type { ServiceName } from '../common/services';

/**
 * Roles and the actions they allow: the one table IAM's policy engine reads and docs/IAM.md shows.
 * Platform roles act on the resource registry and IAM itself for whatever a policy's resources
 * cover; service roles act inside one service's own resources. Deny by default: an action that no
 * row lists is allowed to nobody.
 */
export const PLATFORM_ROLES = ['Viewer', 'Operator', 'Editor', 'Administrator'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export const PLATFORM_ROLE_ACTIONS: Record<PlatformRole, readonly string[]> = {
  Viewer: ['resource-controller.instance.read', 'resource-controller.group.read'],
  Operator: ['resource-controller.instance.read', 'resource-controller.group.read'],
  Editor: [
    'resource-controller.instance.read',
    'resource-controller.group.read',
    'resource-controller.instance.create',
    'resource-controller.instance.update',
    'resource-controller.instance.delete',
  ],
  Administrator: [
    'resource-controller.instance.read',
    'resource-controller.group.read',
    'resource-controller.instance.create',
    'resource-controller.instance.update',
    'resource-controller.instance.delete',
    'resource-controller.group.create',
    'iam.policy.read',
    'iam.policy.create',
    'iam.policy.update',
    'iam.policy.delete',
    'iam-identity.apikey.manage',
    'iam-identity.user.manage',
    'iam-identity.serviceid.manage',
  ],
};

/** Key Protect actions (KEY-PROTECT-API.md §7): `kms.` for Key Protect, the same under `hs-crypto.`. */
const KP_READER = [
  'secrets.readmetadata',
  'secrets.list',
  'secrets.head',
  'secrets.listversions',
  'secrets.wrap',
  'secrets.unwrap',
  'secrets.rewrap',
  'keyrings.list',
  'registrations.list',
  'registrations.read',
  'registrations.create',
  'registrations.update',
  'registrations.delete',
  'secrets-event.ack',
] as const;
const KP_READER_PLUS = [...KP_READER, 'secrets.read'] as const;
const KP_WRITER = [
  ...KP_READER,
  'secrets.create',
  'secrets.import',
  'secrets.rotate',
  'secrets.setkeyfordeletion',
  'secrets.unsetkeyfordeletion',
  'secrets.sync',
  'secrets.createalias',
  'keyrings.create',
  'importtoken.create',
  'importtoken.read',
] as const;
const KP_MANAGER = [
  ...KP_WRITER,
  'secrets.read',
  'secrets.disable',
  'secrets.enable',
  'secrets.delete',
  'secrets.restore',
  'secrets.patch',
  'secrets.deletealias',
  'policies.read',
  'policies.write',
  'instancepolicies.read',
  'instancepolicies.write',
  'keyrings.delete',
] as const;
const KP_KEY_PURGE = ['secrets.purge'] as const;

function prefixed(service: string, actions: readonly string[]): readonly string[] {
  return actions.map((action) => `${service}.${action}`);
}

/** HPCS domain (crypto unit) operations: status for Reader, every ceremony step for Manager. */
const HPCS_DOMAIN_READER = ['domain.status'] as const;
const HPCS_DOMAIN_MANAGER = ['domain.status', 'domain.ceremony-init', 'domain.unseal', 'domain.seal', 'domain.rotate-master-key'] as const;

function consumerRoles(service: string, nouns: readonly string[], managerOnly: readonly string[]): Record<string, readonly string[]> {
  const reader = nouns.map((noun) => `${service}.${noun}.read`);
  const writer = [...reader, ...nouns.map((noun) => `${service}.${noun}.write`)];
  return { Reader: reader, Writer: writer, Manager: [...writer, ...managerOnly.map((action) => `${service}.${action}`)] };
}

export const SERVICE_ROLE_ACTIONS: Record<ServiceName, Record<string, readonly string[]>> = {
  kms: {
    Reader: prefixed('kms', KP_READER),
    ReaderPlus: prefixed('kms', KP_READER_PLUS),
    Writer: prefixed('kms', KP_WRITER),
    Manager: prefixed('kms', KP_MANAGER),
    KeyPurge: prefixed('kms', KP_KEY_PURGE),
  },
  'hs-crypto': {
    Reader: prefixed('hs-crypto', [...KP_READER, ...HPCS_DOMAIN_READER]),
    ReaderPlus: prefixed('hs-crypto', [...KP_READER_PLUS, ...HPCS_DOMAIN_READER]),
    Writer: prefixed('hs-crypto', [...KP_WRITER, ...HPCS_DOMAIN_READER]),
    Manager: prefixed('hs-crypto', [...KP_MANAGER, ...HPCS_DOMAIN_MANAGER]),
    KeyPurge: prefixed('hs-crypto', KP_KEY_PURGE),
  },
  apprapp: consumerRoles(
    'apprapp',
    ['environments', 'collections', 'features', 'properties', 'segments'],
    ['instance.kms-integration.write', 'instance.plan.write'],
  ),
  schematics: consumerRoles('schematics', ['workspace', 'workspace.variables', 'workspace.state'], ['workspace.delete', 'kms-settings.write', 'kms-settings.read']),
  'hyperp-dbaas-postgresql': consumerRoles(
    'hyperp-dbaas-postgresql',
    ['cluster', 'database', 'users', 'backups'],
    ['cluster.delete', 'backups.restore', 'cluster.kms-settings.write'],
  ),
  // Acts only through delegation from hyperp-dbaas-postgresql: no resources of its own.
  'hyperp-dbaas-backup': {},
};

/** Cloud names accepted in CRNs (role CRNs included); `keyward` is what Keyward emits. */
export const CRN_CLOUD_NAMES = ['keyward', 'bluemix'] as const;
export const EMITTED_CLOUD_NAME = 'keyward';

export type RoleKind = 'platform' | 'service';

export function roleCrn(role: string, kind: RoleKind): string {
  return `crn:v1:${EMITTED_CLOUD_NAME}:public:iam::::${kind === 'platform' ? 'role' : 'serviceRole'}:${role}`;
}

/** `crn:v1:(keyward|bluemix):public:iam::::(role|serviceRole):<Name>` → the role, or undefined. */
export function parseRoleCrn(value: string): { kind: RoleKind; role: string } | undefined {
  const match = /^crn:v1:(keyward|bluemix):public:iam::::(role|serviceRole):([A-Za-z][A-Za-z0-9]*)$/.exec(value);
  if (!match) return undefined;
  return { kind: match[2] === 'role' ? 'platform' : 'service', role: match[3] as string };
}

export function isPlatformRole(role: string): role is PlatformRole {
  return (PLATFORM_ROLES as readonly string[]).includes(role);
}

/** Whether `role` exists for `service` (platform roles exist for every service). */
export function roleExists(kind: RoleKind, role: string, service?: string): boolean {
  if (kind === 'platform') return isPlatformRole(role);
  if (service === undefined) return Object.values(SERVICE_ROLE_ACTIONS).some((roles) => role in roles);
  const roles = SERVICE_ROLE_ACTIONS[service as ServiceName] as Record<string, readonly string[]> | undefined;
  return roles !== undefined && Object.prototype.hasOwnProperty.call(roles, role);
}

/** The actions a role allows on a resource of `service`; empty for anything unknown (deny by default). */
export function actionsOfRole(kind: RoleKind, role: string, service: string | undefined): readonly string[] {
  if (kind === 'platform') return isPlatformRole(role) ? PLATFORM_ROLE_ACTIONS[role] : [];
  if (service === undefined) return [];
  const roles = SERVICE_ROLE_ACTIONS[service as ServiceName] as Record<string, readonly string[]> | undefined;
  if (!roles || !Object.prototype.hasOwnProperty.call(roles, role)) return [];
  return roles[role] ?? [];
}
