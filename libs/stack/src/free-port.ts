import { Socket, createServer } from 'node:net';

/**
 * Ports handed to apps started by tests come from below Linux's ephemeral range (32768–60999 by
 * default): a port the OS picked with listen(0) sits in that range, so between our check and the app's
 * own listen an outgoing connection (to Postgres, NATS…) could take it, and the app died with
 * EADDRINUSE now and then. Outgoing connections never take a port from this range.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago, never the same one twice in this process. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // claimed before the check, so concurrent callers never get the same port
    if (await canListen(port)) return port;
    handedOut.delete(port);
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT} after 200 attempts`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
export function isReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}
