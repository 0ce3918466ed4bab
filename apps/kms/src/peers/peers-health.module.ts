import { Module, type OnModuleInit } from '@nestjs/common';
import { HSM_SUBJECTS, IAM_SUBJECTS } from '@keyward/contracts';
import { HealthRegistry, RpcClient, rpcPingHealthCheck } from '@keyward/platform';

/**
 * The KMS depends on the HSM (every key operation) and IAM (every authorization): /health shows
 * whether each answers its ping over NATS. They are not critical to the KMS process itself, so when
 * one is away the KMS reports `degraded` rather than `down`.
 */
@Module({})
export class PeersHealthModule implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    private readonly rpc: RpcClient,
  ) {}

  onModuleInit(): void {
    this.health.register(rpcPingHealthCheck(this.rpc, 'hsm', HSM_SUBJECTS.ping));
    this.health.register(rpcPingHealthCheck(this.rpc, 'iam', IAM_SUBJECTS.ping));
  }
}
