import { type AuthzCheckRequest, type AuthzCheckResponse, type RoleKind, actionsOfRole } from '@keyward/contracts';

export type AttributeOperator = 'stringEquals' | 'stringMatch';

export interface PolicyAttribute {
  name: string;
  value: string;
  operator: AttributeOperator;
}

export interface PolicyRole {
  kind: RoleKind;
  role: string;
}

/** A policy as the engine sees it: already validated, attributes normalised. */
export interface EnginePolicy {
  id: string;
  type: 'access' | 'authorization';
  accountId: string;
  subject: readonly PolicyAttribute[];
  resource: readonly PolicyAttribute[];
  roles: readonly PolicyRole[];
}

type Request = AuthzCheckRequest;

/** The request field each policy attribute is compared with. Attributes not listed never match. */
const SUBJECT_FIELDS: Record<string, (subject: Request['subject']) => string | undefined> = {
  iam_id: (s) => s.iam_id,
  accountId: (s) => s.accountId,
  serviceName: (s) => s.serviceName,
  serviceInstance: (s) => s.serviceInstance,
  resourceGroupId: (s) => s.resourceGroupId,
};

const RESOURCE_FIELDS: Record<string, (resource: Request['resource']) => string | undefined> = {
  accountId: (r) => r.accountId,
  serviceName: (r) => r.serviceName,
  serviceInstance: (r) => r.serviceInstance,
  resourceGroupId: (r) => r.resourceGroupId,
  resourceType: (r) => r.resourceType,
  resource: (r) => r.resource,
  keyRing: (r) => r.keyRing,
};

/**
 * IAM's policy decision point, a plain class: given the account's active policies and one request,
 * allow only when some policy's subject and resource attributes all match and one of its roles
 * allows the action on the resource's service. Everything else — no policy, an unknown attribute, a
 * missing request field, an unknown role or action — is a deny.
 */
export class PolicyEngine {
  decide(policies: readonly EnginePolicy[], request: Request): AuthzCheckResponse {
    for (const policy of policies) {
      if (this.allows(policy, request)) return { decision: 'allow', policyId: policy.id };
    }
    return { decision: 'deny' };
  }

  allows(policy: EnginePolicy, request: Request): boolean {
    if (policy.accountId !== request.resource.accountId) return false;
    if (!this.subjectMatches(policy, request.subject)) return false;
    if (!policy.resource.every((attribute) => matchesField(attribute, RESOURCE_FIELDS, request.resource))) return false;
    return this.roleAllows(policy, request);
  }

  private subjectMatches(policy: EnginePolicy, subject: Request['subject']): boolean {
    if (policy.subject.length === 0) return false;
    if (policy.type === 'access') {
      // Access policies name one identity; anything else in the subject is refused at creation.
      return policy.subject.every((attribute) => attribute.name === 'iam_id' && matchesField(attribute, SUBJECT_FIELDS, subject));
    }
    // Authorization policies grant services, never users.
    if (!subject.serviceName) return false;
    return policy.subject.every((attribute) => attribute.name !== 'iam_id' && matchesField(attribute, SUBJECT_FIELDS, subject));
  }

  private roleAllows(policy: EnginePolicy, request: Request): boolean {
    const service = policy.resource.find((a) => a.name === 'serviceName' && a.operator === 'stringEquals')?.value ?? request.resource.serviceName;
    if (service !== request.resource.serviceName) return false;
    return policy.roles.some((role) => actionsOfRole(role.kind, role.role, service).includes(request.action));
  }
}

function matchesField<T>(attribute: PolicyAttribute, fields: Record<string, (value: T) => string | undefined>, value: T): boolean {
  const read = Object.prototype.hasOwnProperty.call(fields, attribute.name) ? fields[attribute.name] : undefined;
  if (!read) return false;
  const actual = read(value);
  if (actual === undefined || actual === '') return false;
  return attribute.operator === 'stringEquals' ? actual === attribute.value : globMatches(attribute.value, actual);
}

/** `stringMatch`: `*` is any run of characters, `?` exactly one; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}
