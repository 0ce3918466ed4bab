import { randomUUID } from 'node:crypto';
import { JSONCodec, type NatsConnection, RequestStrategy, connect } from 'nats';
import type { z } from 'zod';
import {
  DomainError,
  HSM_BROADCAST_COLLECT_MS,
  HSM_DOMAINS_OP_RESPONSES,
  HSM_DOMAIN_OP_RESPONSES,
  HSM_SUBJECTS,
  type HsmDomainOp,
  type HsmDomainsOp,
  type ReplicaProgress,
  replicaProgressSchema,
} from '@keyward/contracts';
import { type Env, MetricsService, RpcClient, SubjectNamespace, loadServiceConfig } from '@keyward/platform';
import { generateRsaKeyPair, hybridDecrypt, hybridEncrypt, type RsaKeyPair } from '@keyward/crypto';

const codec = JSONCodec();

/**
 * Calls the HSM as the KMS will: single requests through the platform RpcClient (Nest's envelope,
 * "no responders" → DOMAIN_SEALED_ERR), and request-many with the raw client for unseal/seal/rotate.
 */
export class HsmTestClient {
  private constructor(
    private readonly rpc: RpcClient,
    private readonly nats: NatsConnection,
    private readonly namespace: SubjectNamespace,
  ) {}

  /** A client with the KMS's identity and the suite's subject prefix, independent of any HSM replica. */
  static async create(env: Env): Promise<HsmTestClient> {
    const { service } = loadServiceConfig('kms', env, {});
    const namespace = new SubjectNamespace(service.nats.prefix);
    const rpc = new RpcClient(service, namespace, new MetricsService('kms'));
    await rpc.connect();
    return new HsmTestClient(rpc, await connect({ servers: service.nats.servers }), namespace);
  }

  domainOp<O extends HsmDomainOp>(domainId: string, op: O, payload: unknown): Promise<z.output<(typeof HSM_DOMAIN_OP_RESPONSES)[O]>> {
    return this.rpc.request(HSM_SUBJECTS.domainOp(domainId, op), payload, {
      response: HSM_DOMAIN_OP_RESPONSES[op] as unknown as z.ZodType<z.output<(typeof HSM_DOMAIN_OP_RESPONSES)[O]>>,
      noRespondersCode: 'DOMAIN_SEALED_ERR',
      timeoutMs: 20_000,
    });
  }

  domains<O extends HsmDomainsOp>(op: O, payload: unknown): Promise<z.output<(typeof HSM_DOMAINS_OP_RESPONSES)[O]>> {
    return this.rpc.request(HSM_SUBJECTS.domains(op), payload, {
      response: HSM_DOMAINS_OP_RESPONSES[op] as unknown as z.ZodType<z.output<(typeof HSM_DOMAINS_OP_RESPONSES)[O]>>,
      timeoutMs: 30_000,
    });
  }

  /** Request-many: every replica's reply within the collection window, each a progress or an error. */
  async broadcast(op: 'unseal' | 'seal' | 'rotate-master-key', payload: unknown): Promise<(ReplicaProgress | DomainError)[]> {
    const subject = this.namespace.subject(HSM_SUBJECTS.domains(op));
    const replies = await this.nats.requestMany(subject, codec.encode({ pattern: HSM_SUBJECTS.domains(op), data: payload, id: randomUUID() }), {
      strategy: RequestStrategy.Timer,
      maxWait: HSM_BROADCAST_COLLECT_MS,
    });
    const results: (ReplicaProgress | DomainError)[] = [];
    for await (const message of replies) {
      if (message.data.length === 0) continue; // "no responders" status message
      const packet = codec.decode(message.data) as { response?: unknown; err?: unknown };
      if (packet.err) results.push(DomainError.fromWire(packet.err) ?? new DomainError('BAD_RPC_RESPONSE_ERR'));
      else results.push(replicaProgressSchema.parse(packet.response));
    }
    return results;
  }

  async close(): Promise<void> {
    await this.rpc.onApplicationShutdown();
    await this.nats.drain();
  }
}

/** Custodians with their own RSA keys (2048 bits: fast, and the HSM accepts it). */
export function makeCustodians(count: number): { name: string; keyPair: RsaKeyPair }[] {
  return Array.from({ length: count }, (_, i) => ({ name: `custodian-${i + 1}`, keyPair: generateRsaKeyPair(2048) }));
}

/** What a custodian's client does: open its part, re-encrypt it to the domain's ceremony key. */
export function reencryptPart(custodian: { keyPair: RsaKeyPair }, encryptedPart: string, ceremonyPublicKey: string): { raw: Buffer; forHsm: string } {
  const raw = hybridDecrypt(custodian.keyPair.privateKey, encryptedPart);
  return { raw, forHsm: hybridEncrypt(ceremonyPublicKey, raw) };
}
