import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { HSM_DOMAIN_OP_RESPONSES, HSM_SUBJECTS, type HsmDomainOp } from '@keyward/contracts';
import { RpcClient } from '@keyward/platform';

type OpResponse<O extends HsmDomainOp> = z.output<(typeof HSM_DOMAIN_OP_RESPONSES)[O]>;

/**
 * The KMS's only way to key material: one `rpc.hsm.d.<domain>.<op>.v1` call per step. Nobody
 * answering the domain's subject means no replica holds it unsealed: DOMAIN_SEALED_ERR (409).
 */
@Injectable()
export class HsmClient {
  constructor(private readonly rpc: RpcClient) {}

  /** `timeoutMs` for the slow ones (an RSA-4096 key pair takes seconds); the configured RPC timeout otherwise. */
  op<O extends HsmDomainOp>(domainId: string, op: O, payload: unknown, options: { timeoutMs?: number } = {}): Promise<OpResponse<O>> {
    return this.rpc.request(HSM_SUBJECTS.domainOp(domainId, op), payload, {
      response: HSM_DOMAIN_OP_RESPONSES[op] as unknown as z.ZodType<OpResponse<O>>,
      noRespondersCode: 'DOMAIN_SEALED_ERR',
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
}
