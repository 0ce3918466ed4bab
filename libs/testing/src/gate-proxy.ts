import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateProxy {
  url: string;
  /** From now on, forward to the target (before: every connection is dropped, as if nothing listened). */
  open(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a service that starts "unreachable" and forwards once opened: lets a test
 * start an app while a peer is not there yet, then bring the peer up without restarting the app.
 */
export async function startGateProxy(targetUrl: string): Promise<GateProxy> {
  const target = new URL(targetUrl);
  let opened = false;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (!opened) {
      incoming.socket.destroy();
      return;
    }
    const forwarded = request(
      { hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => {
      opened = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
