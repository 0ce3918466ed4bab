/**
 * `rpc.hsm.*` (DESIGN.md "NATS subjects"). Only the KMS publishes these; only the HSM subscribes.
 * Domain-scoped operations go to `rpc.hsm.d.<domainId>.<op>.v1`, served only by replicas that hold
 * that domain unsealed; "no responders" there means DOMAIN_SEALED_ERR.
 */
export const PLATFORM_DOMAIN_ID = 'platform';

/** `platform` or an hs-crypto instance GUID: never a NATS token separator or wildcard. */
export const DOMAIN_ID_PATTERN = /^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const HSM_DOMAIN_OPS = [
  'key.generate',
  'key.import',
  'key.rotate',
  'key.set-state',
  'key.destroy',
  'key.export',
  'wrap',
  'unwrap',
  'rewrap',
  'wrap.batch',
  'unwrap.batch',
  'import-keypair.create',
] as const;
export type HsmDomainOp = (typeof HSM_DOMAIN_OPS)[number];

/** Served by any one replica (queue group `hsm`). */
export const HSM_DOMAINS_ANY_REPLICA_OPS = ['create', 'status', 'ceremony-init'] as const;
/** Sent to every replica (request-many, replies collected for HSM_BROADCAST_COLLECT_MS). */
export const HSM_DOMAINS_EVERY_REPLICA_OPS = ['unseal', 'seal', 'rotate-master-key'] as const;
export type HsmDomainsOp =
  | (typeof HSM_DOMAINS_ANY_REPLICA_OPS)[number]
  | (typeof HSM_DOMAINS_EVERY_REPLICA_OPS)[number];

export const HSM_BROADCAST_COLLECT_MS = 500;
export const HSM_QUEUE = 'hsm';

function assertDomainId(domainId: string): string {
  if (!DOMAIN_ID_PATTERN.test(domainId)) {
    throw new Error(`not an HSM domain id: ${JSON.stringify(domainId)}`);
  }
  return domainId;
}

export const HSM_SUBJECTS = {
  ping: 'rpc.hsm.ping.v1',
  domainOp: (domainId: string, op: HsmDomainOp) => `rpc.hsm.d.${assertDomainId(domainId)}.${op}.v1`,
  /** What a replica subscribes to while it holds the domain unsealed. */
  domainWildcard: (domainId: string) => `rpc.hsm.d.${assertDomainId(domainId)}.>`,
  domainQueue: (domainId: string) => `hsm.${assertDomainId(domainId)}`,
  domains: (op: HsmDomainsOp) => `rpc.hsm.domains.${op}.v1`,
} as const;
