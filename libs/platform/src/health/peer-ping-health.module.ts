import { type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { RpcClient } from '../nats/rpc-client';
import { HealthRegistry } from './health.registry';
import { rpcPingHealthCheck } from './rpc-ping.health-check';

export interface PingedPeer {
  /** The name of the check in /health. */
  name: string;
  /** The peer's `rpc.<service>.ping.v1`. */
  subject: string;
}

/**
 * /health shows whether each peer an app depends on answers its ping over NATS. Peers are not
 * critical to the app's own process: when one is away the app reports `degraded`, not `down`.
 */
@Module({})
export class PeerPingHealthModule {
  static forPeers(peers: readonly PingedPeer[]): DynamicModule {
    class PeerPingRegistration implements OnModuleInit {
      constructor(
        readonly health: HealthRegistry,
        readonly rpc: RpcClient,
      ) {}

      onModuleInit(): void {
        for (const peer of peers) this.health.register(rpcPingHealthCheck(this.rpc, peer.name, peer.subject));
      }
    }
    return {
      module: PeerPingHealthModule,
      providers: [{ provide: PeerPingRegistration, useFactory: (health: HealthRegistry, rpc: RpcClient) => new PeerPingRegistration(health, rpc), inject: [HealthRegistry, RpcClient] }],
    };
  }
}
