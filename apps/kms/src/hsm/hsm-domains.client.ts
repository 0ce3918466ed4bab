import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JSONCodec, RequestStrategy } from 'nats';
import type { z } from 'zod';
import {
  DomainError,
  HSM_BROADCAST_COLLECT_MS,
  HSM_DOMAINS_OP_RESPONSES,
  HSM_SUBJECTS,
  type ReplicaProgress,
  replicaProgressSchema,
} from '@keyward/contracts';
import { NatsConnectionHolder, RpcClient, SubjectNamespace } from '@keyward/platform';

const codec = JSONCodec();

/**
 * `rpc.hsm.domains.*`: status and ceremony-init go to any replica; unseal, seal and rotate-master-key
 * to every replica (request-many), each answering with its own progress. Parts are relayed as the
 * ciphertext the custodians made: the KMS cannot open them.
 */
@Injectable()
export class HsmDomainsClient {
  constructor(
    private readonly rpc: RpcClient,
    private readonly nats: NatsConnectionHolder,
    private readonly namespace: SubjectNamespace,
  ) {}

  status(domainId: string): Promise<z.output<typeof HSM_DOMAINS_OP_RESPONSES.status>> {
    return this.rpc.request(HSM_SUBJECTS.domains('status'), { domainId }, { response: HSM_DOMAINS_OP_RESPONSES.status });
  }

  ceremonyInit(request: unknown): Promise<z.output<typeof HSM_DOMAINS_OP_RESPONSES['ceremony-init']>> {
    return this.rpc.request(HSM_SUBJECTS.domains('ceremony-init'), request, { response: HSM_DOMAINS_OP_RESPONSES['ceremony-init'], timeoutMs: 60_000 });
  }

  /** Every replica's reply within the collection window; a coded error when no replica answered or all refused. */
  async broadcast(op: 'unseal' | 'seal' | 'rotate-master-key', payload: unknown): Promise<ReplicaProgress[]> {
    const subject = this.namespace.subject(HSM_SUBJECTS.domains(op));
    const replies = await this.nats.get().requestMany(subject, codec.encode({ pattern: HSM_SUBJECTS.domains(op), data: payload, id: randomUUID() }), {
      strategy: RequestStrategy.Timer,
      maxWait: HSM_BROADCAST_COLLECT_MS,
    });
    const progress: ReplicaProgress[] = [];
    let firstError: DomainError | undefined;
    for await (const message of replies) {
      if (message.data.length === 0) continue; // the "no responders" status message
      const packet = codec.decode(message.data) as { response?: unknown; err?: unknown };
      if (packet.err) {
        firstError ??= DomainError.fromWire(packet.err) ?? new DomainError('BAD_RPC_RESPONSE_ERR');
        continue;
      }
      const parsed = replicaProgressSchema.safeParse(packet.response);
      if (parsed.success) progress.push(parsed.data);
    }
    if (progress.length === 0) throw firstError ?? new DomainError('SERVICE_UNAVAILABLE_ERR', 'No HSM replica answered');
    return progress;
  }
}
