import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';

/** A free TCP port on loopback (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Listens on loopback and answers the port. Idle keep-alive sockets outlive any client's (undici
 * keeps them 4 s): a server that closed one just as a client reused it would answer ECONNRESET,
 * which a load balancer in front of a service does not.
 */
export async function listenOnLoopback(server: HttpServer, port = 0): Promise<number> {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}
