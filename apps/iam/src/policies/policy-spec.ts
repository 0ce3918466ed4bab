import {
  ACCOUNT_ID_PATTERN,
  DomainError,
  GUID_PATTERN,
  SERVICE_NAMES,
  dependentsOf,
  parseRoleCrn,
  roleCrn,
  roleExists,
} from '@keyward/contracts';
import type { AttributeOperator, PolicyAttribute, PolicyRole } from './policy-engine';

/** A policy request in Keyward's own terms, whichever wire shape (v1 or v2) it came in. */
export interface PolicySpec {
  type: 'access' | 'authorization';
  description?: string;
  subject: PolicyAttribute[];
  resource: PolicyAttribute[];
  roles: PolicyRole[];
  /** Authorization delegation: also grant the source service's dependents (they go with it). */
  delegate: boolean;
}

/** An attribute as either wire shape carries it (v1 `name`, v2 `key`), before validation. */
export interface RawAttribute {
  name: string;
  value: unknown;
  operator?: string;
}

export interface RawPolicy {
  type: string;
  description?: string;
  subject: RawAttribute[];
  resource: RawAttribute[];
  roleIds: string[];
  delegate: boolean;
}

const OPERATORS: readonly AttributeOperator[] = ['stringEquals', 'stringMatch'];
const RESOURCE_ATTRIBUTES = ['accountId', 'serviceName', 'serviceInstance', 'resourceGroupId', 'resourceType', 'resource', 'keyRing'];
/** Subject attributes the engine can match (the reference also lists region/resourceType/resource). */
const AUTHZ_SUBJECT_ATTRIBUTES = ['accountId', 'serviceName', 'serviceInstance', 'resourceGroupId'];

function invalid(message: string, field?: string): DomainError {
  return new DomainError('INVALID_POLICY_ERR', message, field ? { target: { type: 'field', name: field } } : {});
}

/**
 * Validates a policy as the reference describes it, with a 400 that says what is wrong. Values are
 * checked where their form is known (account ids, instance guids, service names); role CRNs are
 * accepted with `keyward` or `bluemix` and must name a role of the target service.
 */
export function validatePolicy(raw: RawPolicy): PolicySpec {
  if (raw.type !== 'access' && raw.type !== 'authorization') throw invalid(`type must be "access" or "authorization", not "${String(raw.type).slice(0, 40)}"`, 'type');
  const type = raw.type;
  const resource = attributes(raw.resource, 'resource', RESOURCE_ATTRIBUTES);
  const subject = attributes(raw.subject, 'subject', type === 'access' ? ['iam_id'] : AUTHZ_SUBJECT_ATTRIBUTES);

  const resourceAccount = resource.find((a) => a.name === 'accountId');
  if (!resourceAccount || resourceAccount.operator !== 'stringEquals') throw invalid('The resource needs an accountId attribute (stringEquals)', 'resource.accountId');
  const targetService = resource.find((a) => a.name === 'serviceName');
  if (targetService?.operator === 'stringMatch' && type === 'authorization') throw invalid('The target serviceName of an authorization must be exact (stringEquals)', 'resource.serviceName');

  if (type === 'access') {
    const iamId = subject.find((a) => a.name === 'iam_id');
    if (!iamId || subject.length !== 1 || iamId.operator !== 'stringEquals') throw invalid('An access policy subject is exactly one iam_id attribute', 'subject.iam_id');
  } else {
    const sourceAccount = subject.find((a) => a.name === 'accountId');
    if (!sourceAccount || sourceAccount.operator !== 'stringEquals') {
      throw invalid('An authorization needs the source accountId (also for a grant to another account)', 'subject.accountId');
    }
    const sourceService = subject.find((a) => a.name === 'serviceName');
    if (!sourceService && !subject.some((a) => a.name === 'resourceGroupId')) {
      throw invalid('An authorization subject needs serviceName or resourceGroupId', 'subject.serviceName');
    }
    if (sourceService?.operator === 'stringMatch') throw invalid('The source serviceName must be exact (stringEquals)', 'subject.serviceName');
    if (!targetService) throw invalid('An authorization needs the target serviceName', 'resource.serviceName');
  }

  if (raw.roleIds.length === 0) throw invalid('At least one role is required', 'roles');
  const roles: PolicyRole[] = [];
  for (const roleId of raw.roleIds) {
    const parsed = parseRoleCrn(roleId);
    if (!parsed) throw invalid(`"${roleId.slice(0, 100)}" is not a role CRN (crn:v1:keyward:public:iam::::serviceRole:<Role>)`, 'roles');
    if (type === 'authorization' && parsed.kind !== 'service') throw invalid('An authorization grants service roles only', 'roles');
    const service = targetService?.operator === 'stringEquals' ? targetService.value : undefined;
    if (!roleExists(parsed.kind, parsed.role, service)) {
      throw invalid(`Role ${parsed.role} does not exist${service ? ` for service ${service}` : ''}`, 'roles');
    }
    if (!roles.some((r) => r.kind === parsed.kind && r.role === parsed.role)) roles.push(parsed);
  }

  if (raw.delegate && type !== 'authorization') throw invalid('Only authorizations can be delegated', 'delegate_dependents');
  if (raw.description !== undefined && (typeof raw.description !== 'string' || raw.description.length > 300)) {
    throw invalid('description must be a string of at most 300 characters', 'description');
  }
  return { type, ...(raw.description ? { description: raw.description } : {}), subject, resource, roles, delegate: raw.delegate };
}

function attributes(raw: RawAttribute[], where: 'subject' | 'resource', allowed: readonly string[]): PolicyAttribute[] {
  if (raw.length === 0) throw invalid(`The ${where} needs attributes`, where);
  const seen = new Set<string>();
  return raw.map((attribute) => {
    const field = `${where}.${attribute.name}`;
    if (!allowed.includes(attribute.name)) throw invalid(`Unknown ${where} attribute "${attribute.name.slice(0, 60)}" (allowed: ${allowed.join(', ')})`, field);
    if (seen.has(attribute.name)) throw invalid(`The ${where} attribute ${attribute.name} is given twice`, field);
    seen.add(attribute.name);
    const operator = attribute.operator ?? 'stringEquals';
    if (!(OPERATORS as readonly string[]).includes(operator)) throw invalid(`Operator "${operator.slice(0, 40)}" is not supported (stringEquals, stringMatch)`, field);
    if (typeof attribute.value !== 'string' || attribute.value.length === 0 || attribute.value.length > 512) {
      throw invalid(`The ${where} attribute ${attribute.name} needs a non-empty string value`, field);
    }
    const value = attribute.value;
    if (operator === 'stringEquals') checkValue(attribute.name, value, field);
    return { name: attribute.name, value, operator: operator as AttributeOperator };
  });
}

function checkValue(name: string, value: string, field: string): void {
  const ok =
    name === 'accountId' || name === 'resourceGroupId'
      ? ACCOUNT_ID_PATTERN.test(value)
      : name === 'serviceName'
        ? (SERVICE_NAMES as readonly string[]).includes(value)
        : name === 'serviceInstance'
          ? GUID_PATTERN.test(value)
          : true;
  if (!ok) throw invalid(`${value.slice(0, 80)} is not a valid ${name}`, field);
}

export function accountOf(spec: PolicySpec): string {
  return spec.resource.find((a) => a.name === 'accountId')?.value as string;
}

/** The policies that delegation adds: the same grant for each dependent of the source service. */
export function delegatedSpecs(spec: PolicySpec): PolicySpec[] {
  if (spec.type !== 'authorization' || !spec.delegate) return [];
  const source = spec.subject.find((a) => a.name === 'serviceName')?.value;
  if (!source) return [];
  return dependentsOf(source).map((dependent) => ({
    ...spec,
    delegate: false,
    subject: spec.subject.map((a) => (a.name === 'serviceName' ? { ...a, value: dependent } : a)),
  }));
}

export function roleIdOf(role: PolicyRole): string {
  return roleCrn(role.role, role.kind);
}
