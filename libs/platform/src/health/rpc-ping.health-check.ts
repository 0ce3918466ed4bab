import { type DependencyCheck, pingResponseSchema } from '@keyward/contracts';
import type { RpcClient } from '../nats/rpc-client';
import type { HealthCheck } from './health.registry';

/** A peer service is reachable when it answers its `rpc.<service>.ping.v1` over NATS. */
export function rpcPingHealthCheck(rpc: RpcClient, name: string, subject: string): HealthCheck {
  return {
    name,
    critical: false,
    async check(): Promise<DependencyCheck> {
      const reply = await rpc.request(subject, {}, { response: pingResponseSchema, timeoutMs: 1500 });
      return { status: 'ok', detail: `replica ${reply.replicaId}` };
    },
  };
}
