import { type AuthzCheckRequest, DomainError, parseCrn } from '@keyward/contracts';
import type { AuthzDecider } from '@keyward/platform';
import { parseKeyCrn } from '../key-crn';

/**
 * What a consumer does with its customer's root key, all covered by Key Protect's Reader role
 * (DESIGN.md "Authorization"): the pre-flight asks about each, so a partial grant is caught too.
 */
export const CONSUMER_KMS_ACTIONS = ['secrets.wrap', 'secrets.unwrap', 'secrets.rewrap', 'registrations.create', 'secrets-event.ack'] as const;

/** The role the missing authorization must grant. */
export const CONSUMER_KMS_ROLE = 'Reader';

/** Who acts (the consumer's resource) and on which KMS instance. */
export interface KmsAuthorizationQuery {
  source: {
    /** The consumer's IAM service name (`apprapp`, `schematics`, `hyperp-dbaas-postgresql`). */
    serviceName: string;
    accountId: string;
    /** The source service instance, when the resource is one (not for a Schematics workspace). */
    instanceId?: string;
    resourceGroupId?: string;
  };
  target: {
    /** `kms` or `hs-crypto`. */
    serviceName: string;
    accountId: string;
    instanceId: string;
  };
}

/** An authorization the consumer lacks, with the command that creates it. */
export interface MissingKmsAuthorization {
  query: KmsAuthorizationQuery;
  role: typeof CONSUMER_KMS_ROLE;
  /** The Key Protect actions IAM denied (e.g. `kms.secrets.wrap`). */
  deniedActions: string[];
  command: string;
  message: string;
}

/**
 * The query for a consumer resource (`sourceCrn`) that is to use the root key `keyCrn`. The subject's
 * service is the CRN's unless the caller acts for another service's resources (a dependent service).
 */
export function kmsAuthorizationQuery(input: { sourceCrn: string; keyCrn: string; serviceName?: string; resourceGroupId?: string }): KmsAuthorizationQuery {
  const source = parseCrn(input.sourceCrn);
  if (!source) throw new DomainError('INVALID_FIELD_ERR', 'The source CRN is not a valid CRN');
  const key = parseKeyCrn(input.keyCrn);
  if (!key) throw new DomainError('INVALID_FIELD_ERR', 'The key CRN does not name a Key Protect or Hyper Protect Crypto Services root key by its id');
  return {
    source: {
      serviceName: input.serviceName ?? source.service,
      accountId: source.accountId,
      ...(source.serviceInstance ? { instanceId: source.serviceInstance } : {}),
      ...(input.resourceGroupId ? { resourceGroupId: input.resourceGroupId } : {}),
    },
    target: { serviceName: key.serviceName, accountId: key.accountId, instanceId: key.instanceId },
  };
}

/**
 * Asks IAM (`rpc.iam.authz.check.v1`, through the app's AuthzDecider) whether the source may use the
 * target KMS instance as a consumer does, before the consumer accepts a key from its user. Resolves
 * undefined when every action is allowed, or the missing authorization.
 */
export async function findMissingKmsAuthorization(decider: AuthzDecider, query: KmsAuthorizationQuery): Promise<MissingKmsAuthorization | undefined> {
  const requests: AuthzCheckRequest[] = CONSUMER_KMS_ACTIONS.map((action) => ({
    subject: {
      serviceName: query.source.serviceName,
      accountId: query.source.accountId,
      ...(query.source.instanceId ? { serviceInstance: query.source.instanceId } : {}),
      ...(query.source.resourceGroupId ? { resourceGroupId: query.source.resourceGroupId } : {}),
    },
    action: `${query.target.serviceName}.${action}`,
    resource: { serviceName: query.target.serviceName, accountId: query.target.accountId, serviceInstance: query.target.instanceId },
  }));
  const decisions = await Promise.all(requests.map((request) => decider.check(request)));
  const deniedActions = requests.filter((_request, i) => decisions[i]?.decision !== 'allow').map((request) => request.action);
  if (deniedActions.length === 0) return undefined;
  const command = authorizationPolicyCommand(query);
  return { query, role: CONSUMER_KMS_ROLE, deniedActions, command, message: missingAuthorizationMessage(query, command) };
}

/** As findMissingKmsAuthorization, but throws KmsAuthorizationMissingError (403 KMS_AUTHORIZATION_MISSING_ERR). */
export async function assertKmsAuthorization(decider: AuthzDecider, query: KmsAuthorizationQuery): Promise<void> {
  const missing = await findMissingKmsAuthorization(decider, query);
  if (missing) throw new KmsAuthorizationMissingError(missing);
}

/** The error a consumer shows its user: which authorization is missing and how to create it. */
export class KmsAuthorizationMissingError extends DomainError {
  constructor(readonly missing: MissingKmsAuthorization) {
    super('KMS_AUTHORIZATION_MISSING_ERR', missing.message);
    this.name = 'KmsAuthorizationMissingError';
  }

  get command(): string {
    return this.missing.command;
  }
}

/** `keyward iam authorization-policy-create SOURCE TARGET Reader …` (docs/CLI.md), scoped to the instances involved. */
export function authorizationPolicyCommand(query: KmsAuthorizationQuery): string {
  const parts = ['keyward iam authorization-policy-create', query.source.serviceName, query.target.serviceName, CONSUMER_KMS_ROLE];
  if (query.source.instanceId) parts.push('--source-service-instance-id', query.source.instanceId);
  parts.push('--target-service-instance-id', query.target.instanceId);
  // An authorization lives in the target's account; a source in another account is named explicitly.
  if (query.source.accountId !== query.target.accountId) parts.push('--source-service-account', query.source.accountId);
  return parts.join(' ');
}

const SERVICE_LABELS: Record<string, string> = { kms: 'Key Protect', 'hs-crypto': 'Hyper Protect Crypto Services' };

function missingAuthorizationMessage(query: KmsAuthorizationQuery, command: string): string {
  const source = query.source.instanceId ? `${query.source.serviceName} instance ${query.source.instanceId}` : `the ${query.source.serviceName} service`;
  const target = `${SERVICE_LABELS[query.target.serviceName] ?? query.target.serviceName} instance ${query.target.instanceId}`;
  return `${source} is not authorized to use ${target}: an authorization ${query.source.serviceName} → ${query.target.serviceName} with the ${CONSUMER_KMS_ROLE} role is missing. Create it with: ${command}`;
}
