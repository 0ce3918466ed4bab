import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { Clock } from '../common/clock';
import type { KmsInstance } from '../instances/instance.repository';
import { KEY_STATE, collection, keyCrn, rfc3339 } from '../keys/key-view';
import { KeysService } from '../keys/keys.service';
import { type KeyPolicyKind, type KeyPolicyRow, type KeyPolicyWrite, KeyPoliciesRepository } from './key-policies.repository';
import { POLICY_TYPE, booleanOf, intervalMonth, invalidField, objectField, policyResources } from './policy-input';

const KINDS: readonly KeyPolicyKind[] = ['rotation', 'dualAuthDelete'];

/** `GET/PUT /keys/{id}/policies` (KEY-PROTECT-API.md §2, §3): rotation and dualAuthDelete. */
@Injectable()
export class KeyPoliciesService {
  constructor(
    private readonly keys: KeysService,
    private readonly policies: KeyPoliciesRepository,
    private readonly clock: Clock,
  ) {}

  async get(caller: AuthenticatedCaller, instance: KmsInstance, id: string, policy: string | undefined) {
    const kind = policyParam(policy);
    const key = await this.keys.authorizedKey(caller, instance, id, 'policies.read');
    const rows = await this.policies.list(key.id, kind);
    // No policy: collectionTotal 0 and no `resources` at all (DOCS manage-dual-auth.md).
    if (rows.length === 0) return { metadata: { collectionType: POLICY_TYPE, collectionTotal: 0 } };
    return collection(POLICY_TYPE, rows.map((row) => policyView(row, keyCrn(instance, key.id))));
  }

  async put(caller: AuthenticatedCaller, instance: KmsInstance, id: string, policy: string | undefined, body: unknown) {
    const kind = policyParam(policy);
    const writes = parsePolicies(body, kind);
    const key = await this.keys.authorizedKey(caller, instance, id, 'policies.write');
    if (key.state === KEY_STATE.destroyed) throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', 'The policies of a deleted key cannot change');
    const existing = await this.policies.list(key.id);
    for (const write of writes) {
      const current = existing.find((row) => row.kind === write.kind);
      if (write.kind === 'rotation' && key.extractable) throw new DomainError('KEY_ROOT_REQ_ERR', 'Rotation policies apply to root keys only');
      if (write.kind === 'dualAuthDelete' && current?.enabled && !write.enabled) {
        throw invalidField('dualAuthDelete.enabled', 'A dual authorization policy cannot be disabled once it is enabled');
      }
      // Disabling rotation keeps the interval it had, so enabling it again needs no new one.
      if (write.kind === 'rotation' && write.intervalMonth === null) write.intervalMonth = current?.intervalMonth ?? null;
    }
    const saved = await this.policies.save(key.id, caller.principal.iamId, this.clock.now(), writes);
    return collection(POLICY_TYPE, saved.map((row) => policyView(row, keyCrn(instance, key.id))));
  }
}

function policyParam(policy: string | undefined): KeyPolicyKind | undefined {
  if (policy === undefined || policy === '') return undefined;
  if (!(KINDS as readonly string[]).includes(policy)) {
    throw new DomainError('INVALID_QUERY_PARAM_ERR', 'policy must be rotation or dualAuthDelete', { target: { type: 'query', name: 'policy' } });
  }
  return policy as KeyPolicyKind;
}

/** Each resource carries `rotation` and/or `dualAuthDelete`; each kind at most once; `?policy=` limits which. */
function parsePolicies(body: unknown, only: KeyPolicyKind | undefined): KeyPolicyWrite[] {
  const writes: KeyPolicyWrite[] = [];
  for (const resource of policyResources(body, 2)) {
    const kinds = KINDS.filter((kind) => resource[kind] !== undefined);
    if (kinds.length === 0) throw invalidField('resources', 'each resource must have rotation or dualAuthDelete');
    for (const kind of kinds) {
      if (only && kind !== only) throw new DomainError('BODY_QUERY_PARAM_MISMATCH_ERR', `The body sets ${kind} but the query names ${only}`);
      if (writes.some((w) => w.kind === kind)) throw invalidField(kind, `${kind} is given more than once`);
      const data = objectField(resource, kind);
      if (kind === 'rotation') {
        // The Go client sends only interval_month: enabled defaults to true.
        const enabled = booleanOf(data, 'enabled', 'rotation.enabled', true);
        const interval = enabled || data['interval_month'] !== undefined ? intervalMonth(data, 'rotation.interval_month') : null;
        writes.push({ kind, enabled, intervalMonth: interval });
      } else {
        writes.push({ kind, enabled: booleanOf(data, 'enabled', 'dualAuthDelete.enabled'), intervalMonth: null });
      }
    }
  }
  return writes;
}

function policyView(row: KeyPolicyRow, crn: string): Record<string, unknown> {
  return {
    type: POLICY_TYPE,
    id: row.id,
    crn,
    ...(row.kind === 'rotation'
      ? { rotation: { enabled: row.enabled, ...(row.intervalMonth !== null ? { interval_month: row.intervalMonth } : {}) } }
      : { dualAuthDelete: { enabled: row.enabled } }),
    createdBy: row.createdBy,
    creationDate: rfc3339(row.creationDate),
    updatedBy: row.updatedBy,
    lastUpdateDate: rfc3339(row.lastUpdateDate),
  };
}
