import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import type { KmsInstance } from '../instances/instance.repository';
import { collection, rfc3339 } from '../keys/key-view';
import { POLICY_TYPE, booleanOf, intervalMonth, invalidField, objectField, policyResources } from '../policies/policy-input';
import { type InstancePolicyRow, type InstancePolicyWrite, InstancePoliciesRepository } from './instance-policies.repository';
import { DEFAULT_CREATE_IMPORT_ACCESS, INSTANCE_POLICY_TYPES, type InstancePolicyType, parseAllowedIps } from './instance-policy-state';

const NETWORKS = ['public-and-private', 'private-only'];
const MAX_ALLOWED_IPS = 1000;
const ALLOWED_IP_PORT_TYPE = 'application/vnd.ibm.kms.allowed_ip_metadata+json';

/** `GET/PUT /instance/policies` and `GET /instance/allowed_ip_port` (KEY-PROTECT-API.md §2, §3). */
@Injectable()
export class InstancePoliciesService {
  constructor(
    private readonly policies: InstancePoliciesRepository,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
  ) {}

  async get(caller: AuthenticatedCaller, instance: KmsInstance, policy: string | undefined) {
    const type = policyParam(policy);
    await this.access.require(caller, instance, 'instancepolicies.read');
    // Only the policies that have been set (the Node test indexes resources[0..1] after setting two).
    const rows = await this.policies.list(instance.guid, type);
    return collection(POLICY_TYPE, rows.map(policyView));
  }

  async put(caller: AuthenticatedCaller, instance: KmsInstance, policy: string | undefined, body: unknown): Promise<void> {
    const type = policyParam(policy);
    const writes = parsePolicies(body, type);
    await this.access.require(caller, instance, 'instancepolicies.write');
    await this.policies.save(instance.guid, caller.principal.iamId, this.clock.now(), writes);
  }

  /** The private endpoint's port, shown while an allowedIP policy is enabled (otherwise no resources). */
  async allowedIpPort(caller: AuthenticatedCaller, instance: KmsInstance) {
    await this.access.require(caller, instance, 'instancepolicies.read');
    if (!instance.policies?.allowedIp) return { metadata: { collectionType: ALLOWED_IP_PORT_TYPE, collectionTotal: 0 } };
    return collection(ALLOWED_IP_PORT_TYPE, [{ private_endpoint_port: this.settings.privatePort }]);
  }
}

function policyParam(policy: string | undefined): InstancePolicyType | undefined {
  if (policy === undefined || policy === '') return undefined;
  if (!(INSTANCE_POLICY_TYPES as readonly string[]).includes(policy)) {
    throw new DomainError('INVALID_QUERY_PARAM_ERR', `policy must be one of ${INSTANCE_POLICY_TYPES.join(', ')}`, { target: { type: 'query', name: 'policy' } });
  }
  return policy as InstancePolicyType;
}

function parsePolicies(body: unknown, only: InstancePolicyType | undefined): InstancePolicyWrite[] {
  const writes: InstancePolicyWrite[] = [];
  for (const resource of policyResources(body, INSTANCE_POLICY_TYPES.length)) {
    const type = resource['policy_type'];
    if (typeof type !== 'string' || !(INSTANCE_POLICY_TYPES as readonly string[]).includes(type)) {
      throw invalidField('policy_type', `policy_type must be one of ${INSTANCE_POLICY_TYPES.join(', ')}`);
    }
    if (only && type !== only) throw new DomainError('BODY_QUERY_PARAM_MISMATCH_ERR', `The body sets ${type} but the query names ${only}`);
    if (writes.some((w) => w.policyType === type)) throw invalidField('policy_type', `${type} is given more than once`);
    const data = objectField(resource, 'policy_data');
    const enabled = booleanOf(data, 'enabled', 'policy_data.enabled');
    const given = data['attributes'];
    if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
      throw invalidField('policy_data.attributes', 'policy_data.attributes must be an object');
    }
    writes.push({ policyType: type, enabled, attributes: attributesOf(type as InstancePolicyType, enabled, (given ?? {}) as Record<string, unknown>) });
  }
  return writes;
}

/** Checks and normalizes `policy_data.attributes` per type; unknown attributes are refused. */
function attributesOf(type: InstancePolicyType, enabled: boolean, given: Record<string, unknown>): Record<string, unknown> {
  const allowedNames: Record<InstancePolicyType, string[]> = {
    dualAuthDelete: [],
    metrics: [],
    allowedNetwork: ['allowed_network'],
    allowedIP: ['allowed_ip'],
    keyCreateImportAccess: Object.keys(DEFAULT_CREATE_IMPORT_ACCESS),
    rotation: ['interval_month'],
  };
  const unknown = Object.keys(given).find((name) => !allowedNames[type].includes(name));
  if (unknown) throw invalidField(`policy_data.attributes.${unknown}`, `${type} has no attribute ${unknown}`);
  switch (type) {
    case 'allowedNetwork': {
      const network = given['allowed_network'];
      if (network === undefined && !enabled) return {};
      if (typeof network !== 'string' || !NETWORKS.includes(network)) {
        throw invalidField('policy_data.attributes.allowed_network', `allowed_network must be ${NETWORKS.join(' or ')}`);
      }
      return { allowed_network: network };
    }
    case 'allowedIP': {
      const ips = given['allowed_ip'];
      if (ips === undefined && !enabled) return {};
      if (!Array.isArray(ips) || ips.length === 0 || ips.length > MAX_ALLOWED_IPS || ips.some((ip) => typeof ip !== 'string')) {
        throw invalidField('policy_data.attributes.allowed_ip', `allowed_ip must be a list of 1 to ${MAX_ALLOWED_IPS} IP addresses or CIDR ranges`);
      }
      const parsed = parseAllowedIps(ips as string[]);
      if ('bad' in parsed) throw invalidField('policy_data.attributes.allowed_ip', `${parsed.bad.slice(0, 60)} is not an IP address or CIDR range`);
      return { allowed_ip: (ips as string[]).map((ip) => ip.trim()) };
    }
    case 'keyCreateImportAccess': {
      const access: Record<string, boolean> = { ...DEFAULT_CREATE_IMPORT_ACCESS };
      for (const name of Object.keys(DEFAULT_CREATE_IMPORT_ACCESS)) {
        if (given[name] !== undefined) access[name] = booleanOf(given, name, `policy_data.attributes.${name}`);
      }
      return access;
    }
    case 'rotation':
      if (given['interval_month'] === undefined && !enabled) return {};
      return { interval_month: intervalMonth(given, 'policy_data.attributes.interval_month') };
    default:
      return {};
  }
}

function policyView(row: InstancePolicyRow): Record<string, unknown> {
  const attributes = row.attributes as Record<string, unknown>;
  return {
    policy_type: row.policyType,
    policy_data: { enabled: row.enabled, ...(Object.keys(attributes).length ? { attributes } : {}) },
    creationDate: rfc3339(row.creationDate),
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    lastUpdated: rfc3339(row.lastUpdated),
  };
}
