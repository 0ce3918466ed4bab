/** `rpc.iam.*` (every service → iam, queue group `iam`) and `events.iam.*` (stream IAM_EVENTS). */
export const IAM_QUEUE = 'iam';

export const IAM_SUBJECTS = {
  ping: 'rpc.iam.ping.v1',
  authzCheck: 'rpc.iam.authz.check.v1',
  authzCheckBatch: 'rpc.iam.authz.check-batch.v1',
  instanceGet: 'rpc.iam.instance.get.v1',
  instanceList: 'rpc.iam.instance.list.v1',
} as const;

export const IAM_EVENT_SUBJECTS = {
  instanceCreated: 'events.iam.instance.created.v1',
  instanceDeleted: 'events.iam.instance.deleted.v1',
  policyChanged: 'events.iam.policy.changed.v1',
} as const;
