import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@keyward/contracts';
import type { KmsInstance } from '../instances/instance.repository';
import { InstancePoliciesRepository } from './instance-policies.repository';
import { ipAllowed, instancePolicyState } from './instance-policy-state';
import { arrivedPrivately } from './private-endpoint';

/**
 * Runs on every call once the instance is known (KMS guard): loads the instance policies in force
 * and refuses calls the network policies exclude — `allowedNetwork: private-only` on the public
 * port, `allowedIP` from an address outside the list — with Key Protect's 401 UNAUTHORIZED_ERR.
 */
@Injectable()
export class NetworkAdmission {
  constructor(private readonly policies: InstancePoliciesRepository) {}

  async admit(request: FastifyRequest, instance: KmsInstance): Promise<KmsInstance> {
    const state = instancePolicyState(await this.policies.inForce(instance.guid));
    if (state.allowedNetwork === 'private-only' && !arrivedPrivately(request.raw)) {
      throw new DomainError('UNAUTHORIZED_ERR', 'The instance accepts calls only on its private endpoint (allowedNetwork policy)');
    }
    if (state.allowedIp && !ipAllowed(state.allowedIp, request.raw.socket.remoteAddress)) {
      throw new DomainError('UNAUTHORIZED_ERR', 'The caller address is not allowed by the instance (allowedIP policy)');
    }
    return { ...instance, policies: state };
  }
}
