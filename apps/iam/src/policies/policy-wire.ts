import { z } from 'zod';
import { DomainError, roleCrn } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import type { PolicyAttribute, PolicyRole } from './policy-engine';
import type { RawPolicy } from './policy-spec';

/** A stored policy, as the repository returns it. */
export interface StoredPolicy {
  id: string;
  accountId: string;
  type: 'access' | 'authorization';
  description: string | null;
  subject: PolicyAttribute[];
  resource: PolicyAttribute[];
  roles: PolicyRole[];
  parentId: string | null;
  delegate: boolean;
  version: number;
  state: 'active' | 'deleted';
  createdById: string;
  lastModifiedById: string;
  createdAt: Date;
  lastModifiedAt: Date;
}

const v1Attribute = z.object({ name: z.string().min(1).max(64), value: z.unknown(), operator: z.string().optional() }).strict();
const v2Attribute = z.object({ key: z.string().min(1).max(64), value: z.unknown(), operator: z.string().optional() }).strict();
const roleRef = z.object({ role_id: z.string().min(1).max(200) });

/** `/v1/policies` body (IBM's `subjects`/`resources` lists of one element each). */
const v1PolicyBody = z
  .object({
    type: z.string(),
    description: z.string().optional(),
    subjects: z.array(z.object({ attributes: z.array(v1Attribute).max(10) }).strict()).length(1, 'must hold exactly one subject'),
    roles: z.array(roleRef).max(20),
    resources: z.array(z.object({ attributes: z.array(v1Attribute).max(10) }).strict()).length(1, 'must hold exactly one resource'),
    /** Keyward: authorization delegation (see docs/IAM.md). */
    delegate_dependents: z.boolean().optional(),
  })
  .strict();

/** `/v2/policies` body. `rule` (conditions) and `pattern` are not supported and refused. */
const v2PolicyBody = z
  .object({
    type: z.string(),
    description: z.string().optional(),
    subject: z.object({ attributes: z.array(v2Attribute).max(10) }).strict(),
    resource: z.object({ attributes: z.array(v2Attribute).max(10), tags: z.array(z.unknown()).max(0, 'tags are not supported').optional() }).strict(),
    control: z.object({ grant: z.object({ roles: z.array(roleRef).max(20) }).strict() }).strict(),
    delegate_dependents: z.boolean().optional(),
  })
  .strict();

export function parseV1Body(body: unknown): RawPolicy {
  const parsed = parsePayload(v1PolicyBody, body ?? undefined, 'INVALID_POLICY_ERR');
  const subject = parsed.subjects[0]?.attributes ?? [];
  const resource = parsed.resources[0]?.attributes ?? [];
  return {
    type: parsed.type,
    ...(parsed.description !== undefined ? { description: parsed.description } : {}),
    subject: subject.map((a) => ({ name: a.name, value: a.value, ...(a.operator ? { operator: a.operator } : {}) })),
    resource: resource.map((a) => ({ name: a.name, value: a.value, ...(a.operator ? { operator: a.operator } : {}) })),
    roleIds: parsed.roles.map((r) => r.role_id),
    delegate: parsed.delegate_dependents ?? false,
  };
}

export function parseV2Body(body: unknown): RawPolicy {
  if (body && typeof body === 'object' && ('rule' in body || 'pattern' in body)) {
    throw new DomainError('INVALID_POLICY_ERR', 'Policy rules and patterns (conditions) are not supported by Keyward', { target: { type: 'field', name: 'rule' } });
  }
  const parsed = parsePayload(v2PolicyBody, body ?? undefined, 'INVALID_POLICY_ERR');
  return {
    type: parsed.type,
    ...(parsed.description !== undefined ? { description: parsed.description } : {}),
    subject: parsed.subject.attributes.map((a) => ({ name: a.key, value: a.value, ...(a.operator ? { operator: a.operator } : {}) })),
    resource: parsed.resource.attributes.map((a) => ({ name: a.key, value: a.value, ...(a.operator ? { operator: a.operator } : {}) })),
    roleIds: parsed.control.grant.roles.map((r) => r.role_id),
    delegate: parsed.delegate_dependents ?? false,
  };
}

function roleView(role: PolicyRole) {
  return { role_id: roleCrn(role.role, role.kind), display_name: role.role };
}

function common(policy: StoredPolicy, href: string) {
  return {
    id: policy.id,
    type: policy.type,
    ...(policy.description ? { description: policy.description } : {}),
    href,
    created_at: policy.createdAt.toISOString(),
    created_by_id: policy.createdById,
    last_modified_at: policy.lastModifiedAt.toISOString(),
    last_modified_by_id: policy.lastModifiedById,
    state: policy.state,
    ...(policy.delegate ? { delegate_dependents: true } : {}),
    ...(policy.parentId ? { delegated_from: policy.parentId } : {}),
  };
}

export function renderV1(policy: StoredPolicy, baseUrl: string) {
  return {
    ...common(policy, `${baseUrl}/v1/policies/${policy.id}`),
    subjects: [{ attributes: policy.subject.map((a) => ({ name: a.name, value: a.value, ...(a.operator === 'stringMatch' ? { operator: a.operator } : {}) })) }],
    roles: policy.roles.map(roleView),
    resources: [{ attributes: policy.resource.map((a) => ({ name: a.name, value: a.value, operator: a.operator })) }],
  };
}

export function renderV2(policy: StoredPolicy, baseUrl: string) {
  return {
    ...common(policy, `${baseUrl}/v2/policies/${policy.id}`),
    subject: { attributes: policy.subject.map((a) => ({ key: a.name, operator: a.operator, value: a.value })) },
    resource: { attributes: policy.resource.map((a) => ({ key: a.name, operator: a.operator, value: a.value })) },
    control: { grant: { roles: policy.roles.map(roleView) } },
  };
}

export function etagOf(policy: StoredPolicy): string {
  return `"${policy.version}-${policy.id.slice(0, 8)}"`;
}
