import { z } from 'zod';

/** A service instance of IAM's resource registry (rpc.iam.instance.* and events.iam.instance.*). */
export const serviceInstanceSchema = z.object({
  guid: z.string(),
  crn: z.string(),
  name: z.string(),
  service: z.string(),
  plan: z.string(),
  target: z.string(),
  resource_group_id: z.string(),
  account_id: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  /** `active`, or `removed` for a tombstone (only with `include_removed`, and in `events.iam.instance.deleted.v1`). */
  state: z.string(),
  created_at: z.string(),
  /** When the instance was deleted; set only on a removed instance. */
  removed_at: z.string().optional(),
});
export type ServiceInstance = z.infer<typeof serviceInstanceSchema>;

/** The states of a service instance (`state`). */
export const INSTANCE_STATE = { active: 'active', removed: 'removed' } as const;

/**
 * `include_removed: true` asks IAM to answer a deleted instance with its tombstone (`state: "removed"`)
 * instead of `null`: a caller that does not ask (every caller written before tombstones) keeps
 * reading a deleted instance as unknown, so nothing starts trusting a removed instance by accident.
 */
export const instanceGetRequestSchema = z.union([
  z.object({ guid: z.string().min(1), include_removed: z.boolean().optional() }).strict(),
  z.object({ crn: z.string().min(1), include_removed: z.boolean().optional() }).strict(),
]);
export type InstanceGetRequest = z.infer<typeof instanceGetRequestSchema>;

/** The reply of `rpc.iam.instance.get.v1`: `null` when IAM does not know the instance (or it was removed and `include_removed` was not asked). */
export const instanceGetResponseSchema = serviceInstanceSchema.nullable();

export const instanceListRequestSchema = z
  .object({ service: z.string().optional(), account_id: z.string().optional(), target: z.string().optional() })
  .strict();
export type InstanceListRequest = z.infer<typeof instanceListRequestSchema>;

export const instanceListResponseSchema = z.array(serviceInstanceSchema);

export const instanceEventSchema = serviceInstanceSchema;

/** `rpc.iam.authz.check.v1` (check-batch takes and returns arrays, in order). */
export const authzSubjectSchema = z.object({
  iam_id: z.string().optional(),
  serviceName: z.string().optional(),
  serviceInstance: z.string().optional(),
  accountId: z.string(),
  resourceGroupId: z.string().optional(),
});
export const authzResourceSchema = z.object({
  serviceName: z.string(),
  accountId: z.string(),
  serviceInstance: z.string().optional(),
  resourceType: z.string().optional(),
  resource: z.string().optional(),
  keyRing: z.string().optional(),
  /** Filled in by IAM from the registry when `serviceInstance` names an instance it knows. */
  resourceGroupId: z.string().optional(),
});
export const authzCheckRequestSchema = z.object({
  subject: authzSubjectSchema,
  action: z.string().min(1),
  resource: authzResourceSchema,
});
export type AuthzCheckRequest = z.infer<typeof authzCheckRequestSchema>;

export const authzCheckResponseSchema = z.object({
  decision: z.enum(['allow', 'deny']),
  policyId: z.string().optional(),
});
export type AuthzCheckResponse = z.infer<typeof authzCheckResponseSchema>;

export const authzCheckBatchRequestSchema = z.array(authzCheckRequestSchema);
export const authzCheckBatchResponseSchema = z.array(authzCheckResponseSchema);

/** `events.iam.policy.changed.v1` */
export const policyChangedEventSchema = z.object({
  policyId: z.string(),
  type: z.enum(['access', 'authorization']),
  change: z.enum(['created', 'updated', 'deleted']),
  accountId: z.string(),
});
export type PolicyChangedEvent = z.infer<typeof policyChangedEventSchema>;

/** Claims of an IAM access token (a signed JWT; verify it against `GET /identity/keys`). */
export const accessTokenClaimsSchema = z.object({
  iam_id: z.string(),
  sub: z.string(),
  sub_type: z.enum(['user', 'ServiceId']),
  /** IBM's shape: the account id is `account.bss`. */
  account: z.object({ bss: z.string() }),
  /** Set only for a Keyward service's own identity. */
  service_name: z.string().optional(),
  iat: z.number(),
  exp: z.number(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** `GET /v1/endpoints`: where each Keyward service answers, so a client needs only IAM's URL. */
export const endpointsCatalogSchema = z.object({
  endpoints: z.array(z.object({ app: z.string(), service_names: z.array(z.string()), url: z.string() })),
});
export type EndpointsCatalog = z.infer<typeof endpointsCatalogSchema>;

/** The `iss` of every IAM access token, and its signature algorithm (keys in `GET /identity/keys`). */
export const IAM_TOKEN_ISSUER = 'keyward-iam';
export const IAM_TOKEN_ALGORITHM = 'RS256';
