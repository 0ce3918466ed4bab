import type { LoadResult } from './load';

export interface BatchResult {
  itemsPerRequest: number;
  requests: number;
  deksPerSec: number;
  errors: number;
  latencyMs: LoadResult['latencyMs'];
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  settings: { durationSec: number; connections: number; keys: number; hsmBackend: string };
  ceilings: { aesGcmOpsPerSec: number; natsEchoOpsPerSec: number; httpHelloOpsPerSec: number; httpHello: LoadResult };
  realPath: Record<'wrap' | 'unwrap', { at1: LoadResult; at64: LoadResult }>;
  batch: Record<'wrap' | 'unwrap', BatchResult>;
  processes: Record<string, { peakRssMb: number; cpuPercent: number }>;
}
