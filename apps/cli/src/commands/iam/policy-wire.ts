import { isPlatformRole, parseRoleCrn, roleCrn } from '@keyward/contracts';
import { usageError } from '../../cli-error';
import type { Column } from '../../output/output';
import type { AuthSession } from '../../session/auth-session';
import { listArgument, notFound } from '../command-kit';

/** A policy in IAM's `/v2/policies` shape (docs/IAM.md "Policies"). */
export interface PolicyV2 {
  id: string;
  type: 'access' | 'authorization';
  description?: string;
  subject: { attributes: { key: string; operator?: string; value: unknown }[] };
  resource: { attributes: { key: string; operator?: string; value: unknown }[] };
  control: { grant: { roles: { role_id: string; display_name?: string }[] } };
  delegate_dependents?: boolean;
  delegated_from?: string;
  state: string;
  created_at: string;
}

export type Attributes = Record<string, string | undefined>;

export function attributes(entries: Attributes): { key: string; operator: 'stringEquals'; value: string }[] {
  return Object.entries(entries)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => ({ key, operator: 'stringEquals', value }));
}

export function attribute(list: PolicyV2['subject']['attributes'], key: string): string | undefined {
  const found = list.find((a) => a.key === key);
  return found === undefined ? undefined : String(found.value);
}

/**
 * `Reader,Writer` → role CRNs. Names of platform roles (Viewer, Operator, Editor, Administrator)
 * become platform roles unless `serviceOnly`; a full role CRN is taken as given.
 */
export function roleIds(value: string, serviceOnly: boolean): { role_id: string }[] {
  const names = listArgument(value);
  if (names.length === 0) throw usageError('Give at least one role, e.g. Reader or Reader,Writer');
  return names.map((name) => {
    if (parseRoleCrn(name)) return { role_id: name };
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw usageError(`"${name}" is not a role name (e.g. Reader, Writer, Manager, Viewer)`);
    return { role_id: roleCrn(name, !serviceOnly && isPlatformRole(name) ? 'platform' : 'service') };
  });
}

export function roleNames(policy: PolicyV2): string {
  return policy.control.grant.roles.map((r) => r.display_name ?? parseRoleCrn(r.role_id)?.role ?? r.role_id).join(', ');
}

/** What a policy's resource covers, briefly: `kms/<instance>` or `account`. */
export function describeResource(policy: PolicyV2): string {
  const attrs = policy.resource.attributes;
  const service = attribute(attrs, 'serviceName');
  const parts = [service ?? 'all services'];
  const instance = attribute(attrs, 'serviceInstance');
  if (instance) parts.push(`instance ${instance}`);
  const group = attribute(attrs, 'resourceGroupId');
  if (group) parts.push(`group ${group}`);
  const type = attribute(attrs, 'resourceType');
  const resource = attribute(attrs, 'resource');
  if (type || resource) parts.push(`${type ?? '*'}/${resource ?? '*'}`);
  return parts.join(' ');
}

export const POLICY_ID_COLUMN: Column<PolicyV2> = { header: 'ID', value: (p) => p.id };

export async function listPolicies(session: AuthSession, type: 'access' | 'authorization'): Promise<PolicyV2[]> {
  const answer = await session.call<{ policies: PolicyV2[] }>('iam', { method: 'GET', path: '/v2/policies', query: { account_id: session.user.accountId, type } });
  return answer.body.policies;
}

export async function getPolicy(session: AuthSession, id: string, listCommand: string): Promise<PolicyV2> {
  return (await session.call<PolicyV2>('iam', { method: 'GET', path: `/v2/policies/${encodeURIComponent(id)}` }, { notFoundHint: `List them with \`${listCommand}\`` })).body;
}

export async function deletePolicy(session: AuthSession, id: string, listCommand: string): Promise<void> {
  await session.call('iam', { method: 'DELETE', path: `/v2/policies/${encodeURIComponent(id)}` }, { notFoundHint: `List them with \`${listCommand}\`` });
}

export function policyNotFound(id: string, listCommand: string) {
  return notFound(`No such policy: ${id}`, `List them with \`${listCommand}\``);
}
