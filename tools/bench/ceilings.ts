import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { JSONCodec, connect } from 'nats';
import { findFreePort, isReachable } from '@keyward/stack';
import { type LoadResult, runLoad } from './load';

/** AES-256-GCM of a 32-byte DEK with a fresh IV and a tag, in this process: ops/s. */
export function aesGcmCeiling(durationMs: number): number {
  const key = randomBytes(32);
  const dek = randomBytes(32);
  const aad = Buffer.from('keyward-bench');
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1000; i++) {
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
      cipher.setAAD(aad);
      cipher.update(dek);
      cipher.final();
      cipher.getAuthTag();
    }
    ops += 1000;
  }
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** NATS request/reply of a small JSON payload with `inFlight` requests outstanding: req/s. */
export async function natsEchoCeiling(natsUrl: string, durationMs: number, inFlight = 64): Promise<number> {
  const server = await connect({ servers: natsUrl, name: 'bench-echo-server' });
  const client = await connect({ servers: natsUrl, name: 'bench-echo-client' });
  const subject = `bench.echo.${randomBytes(4).toString('hex')}`;
  server.subscribe(subject, { callback: (_error, message) => message.respond(message.data) });
  await server.flush();
  const payload = JSONCodec().encode({ ciphertext: randomBytes(48).toString('base64'), aad: ['a'] });
  let done = 0;
  const deadline = Date.now() + durationMs;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        await client.request(subject, payload, { timeout: 5000 });
        done += 1;
      }
    }),
  );
  const rate = done / ((Date.now() - start) / 1000);
  await client.close();
  await server.close();
  return rate;
}

const HELLO_SERVER = `
const fastify = require('fastify')({ logger: false });
fastify.post('/hello', async () => ({ hello: 'world' }));
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

/** A Fastify hello-world in its own process, under the same load generator: the HTTP ceiling. */
export async function fastifyHelloCeiling(options: { connections: number; durationSec: number }): Promise<LoadResult> {
  const port = await findFreePort();
  const child: ChildProcess = spawn(process.execPath, ['-e', HELLO_SERVER], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !(await isReachable('127.0.0.1', port, 200)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return await runLoad(`http://127.0.0.1:${port}`, { method: 'POST', path: '/hello', headers: { 'content-type': 'application/json' }, body: '{"plaintext":"x"}' }, options);
  } finally {
    child.kill('SIGTERM');
  }
}
