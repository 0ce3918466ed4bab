import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import {
  type AuthzCheckRequest,
  DomainError,
  HSM_DOMAINS_OP_RESPONSES,
  HSM_SUBJECTS,
  IAM_EVENT_SUBJECTS,
  PLATFORM_DOMAIN_ID,
  type ServiceInstance,
  serviceInstanceSchema,
} from '@keyward/contracts';
import { AUTHZ_DECIDER, type AuthzDecider, NatsConnectionHolder, RpcClient, SubjectNamespace, getInstanceFromIam } from '@keyward/platform';
import { InstanceRepository, type KmsInstance } from './instance.repository';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Which instance a call is about and which HSM domain holds its keys (DESIGN.md "Services,
 * instances…"). Set up lazily on first sight through `rpc.iam.instance.get.v1`, and eagerly on
 * `events.iam.instance.created.v1`; forgotten on `…deleted.v1`.
 */
@Injectable()
export class InstancesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly repository: InstanceRepository,
    private readonly rpc: RpcClient,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
    @Inject(AUTHZ_DECIDER) private readonly decider: AuthzDecider,
  ) {}

  onApplicationBootstrap(): void {
    const connection = this.nats.get();
    const handle = (removed: boolean) => (_error: unknown, message: { data: Uint8Array }) => {
      const parsed = serviceInstanceSchema.safeParse(safeJson(message.data));
      if (!parsed.success || !['kms', 'hs-crypto'].includes(parsed.data.service)) return;
      const work = removed ? this.repository.remove(parsed.data.guid) : this.setUp(parsed.data).then(() => undefined);
      // The lazy path sets the instance up anyway; a failure here is not the caller's.
      work.catch(() => undefined);
    };
    this.subscriptions = [
      connection.subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.instanceCreated), { callback: handle(false) }),
      connection.subscribe(this.namespace.subject(IAM_EVENT_SUBJECTS.instanceDeleted), { callback: handle(true) }),
    ];
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  /** The `Bluemix-Instance` of a call: missing or malformed → 400; unknown → 401 (as for any invisible resource). */
  async resolve(header: string | string[] | undefined): Promise<KmsInstance> {
    const guid = Array.isArray(header) ? header[0] : header;
    if (!guid) throw new DomainError('BAD_HEADER_ERR', 'The Bluemix-Instance header is required', { target: { type: 'header', name: 'Bluemix-Instance' } });
    if (!GUID.test(guid.toLowerCase())) {
      throw new DomainError('BAD_HEADER_ERR', 'The Bluemix-Instance header must be an instance GUID', { target: { type: 'header', name: 'Bluemix-Instance' } });
    }
    const known = await this.repository.find(guid.toLowerCase());
    if (known) return known;
    const instance = await getInstanceFromIam(this.rpc, guid.toLowerCase());
    if (!instance || instance.state === 'removed' || !['kms', 'hs-crypto'].includes(instance.service)) throw new DomainError('UNAUTHORIZED_ERR');
    return this.setUp(instance);
  }

  private async setUp(instance: ServiceInstance): Promise<KmsInstance> {
    const existing = await this.repository.find(instance.guid);
    if (existing) return existing;
    let hsmDomainId = PLATFORM_DOMAIN_ID;
    if (instance.service === 'hs-crypto') {
      hsmDomainId = instance.guid;
      await this.rpc.request(HSM_SUBJECTS.domains('create'), { domainId: hsmDomainId }, { response: HSM_DOMAINS_OP_RESPONSES.create });
    } else if (typeof instance.parameters['hpcs_instance_crn'] === 'string') {
      hsmDomainId = await this.hpcsDomainFor(instance, instance.parameters['hpcs_instance_crn']);
    }
    return this.repository.save({
      guid: instance.guid,
      service: instance.service as KmsInstance['service'],
      accountId: instance.account_id,
      hsmDomainId,
      crn: instance.crn,
      region: instance.target,
    });
  }

  /** Seed 003: a Key Protect instance on an HPCS domain, only with a `kms` → `hs-crypto` Reader authorization. */
  private async hpcsDomainFor(instance: ServiceInstance, hpcsCrn: string): Promise<string> {
    const hpcsGuid = hpcsCrn.split(':')[7] ?? '';
    const hpcs = GUID.test(hpcsGuid) ? await getInstanceFromIam(this.rpc, hpcsGuid) : undefined;
    if (!hpcs || hpcs.service !== 'hs-crypto') throw new DomainError('UNAUTHORIZED_ERR', 'The instance names an HPCS instance that does not exist');
    const check: AuthzCheckRequest = {
      subject: { serviceName: 'kms', serviceInstance: instance.guid, accountId: instance.account_id },
      action: 'hs-crypto.secrets.wrap',
      resource: { serviceName: 'hs-crypto', accountId: hpcs.account_id, serviceInstance: hpcs.guid },
    };
    const decision = await this.decider.check(check);
    if (decision.decision !== 'allow') {
      throw new DomainError('UNAUTHORIZED_ERR', 'Key Protect is not authorized (Reader) on the Hyper Protect Crypto Services instance');
    }
    await this.rpc.request(HSM_SUBJECTS.domains('create'), { domainId: hpcs.guid }, { response: HSM_DOMAINS_OP_RESPONSES.create });
    return hpcs.guid;
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
