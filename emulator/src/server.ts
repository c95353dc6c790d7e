// One HTTPS server per emulated service on 127.0.0.1: reads the request, applies injected faults,
// calls the service, writes its reply and records the exchange in the request log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { EmuRequest, EmulatorContext, Reply, Service } from './context';
import { faultReply, type FaultBook } from './faults';

export interface TlsKeyPair {
  certPem: string;
  keyPem: string;
}

export interface RunningServer {
  port: number;
  /** `https://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export type RequestHandler = (req: EmuRequest, res: ServerResponse) => Promise<void>;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEmuRequest(req: IncomingMessage, body: Buffer, origin: string): EmuRequest {
  const url = new URL(req.url ?? '/', origin);
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.searchParams, headers: req.headers, body, url };
}

/** Writes a Reply: objects as JSON, strings and Buffers as they are. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...(reply.headers ?? {}) };
  const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(reply.body)) payload = reply.body;
  else if (typeof reply.body === 'string') payload = Buffer.from(reply.body, 'utf8');
  else if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
    if (!hasContentType) headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  headers['Content-Length'] = payload?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The request pipeline of an emulated service: faults, the service, the request log. */
export function serviceHandler(service: Service, ctx: EmulatorContext, faults: FaultBook): RequestHandler {
  return async (req, res) => {
    const time = new Date().toISOString();
    const record = (status: number) => ctx.store.requests.push({
      time, service: service.name, method: req.method, path: req.path, query: req.url.search.replace(/^\?/, ''), status,
      userAgent: req.headers['user-agent'],
    });
    const fault = faults.take(service.name, req.method, req.path);
    if (fault?.latencyMs) await delay(fault.latencyMs);
    if (fault?.reset) {
      record(0);
      res.socket?.destroy();
      return;
    }
    let reply: Reply;
    if (fault?.status !== undefined) {
      reply = faultReply(service, { ...fault, status: fault.status });
    } else {
      try {
        reply = await service.handle(req, ctx);
      } catch (error) {
        ctx.log(`${service.name}: ${req.method} ${req.path} failed: ${(error as Error).stack ?? String(error)}`);
        reply = service.errorReply(500, 'InternalServerError', 'The server encountered an internal error. Please retry the request.');
      }
    }
    record(reply.status);
    writeReply(res, reply);
  };
}

/**
 * How long an idle kept-alive connection stays open. Node's clients close an idle socket a second
 * before the server's `Keep-Alive: timeout=` hint, or sooner by their own agent's timeout (5 s for
 * the global agent); a server that closes at the same moment as its client races a request sent on
 * that socket (ECONNRESET). So the server waits far longer than any client: the client always closes
 * first. Azure's front ends keep idle connections about 4 minutes.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** Starts an HTTPS server on 127.0.0.1 (port 0 = a free one) that feeds `handler`. */
export function startHttpsServer(tls: TlsKeyPair, port: number, handler: RequestHandler, log: (m: string) => void): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let origin = '';
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      readBody(req)
        .then((body) => handler(toEmuRequest(req, body, origin), res))
        .catch((error: unknown) => {
          log(`${req.method} ${req.url}: ${(error as Error).message}`);
          if (!res.headersSent) writeReply(res, { status: 500, body: { message: 'internal error' } });
          else res.destroy();
        });
    });
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Above keepAliveTimeout, so a request that starts on a socket at the end of its idle time is still read.
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
    // TLS handshakes that fail (e.g. a client that does not trust the CA) are the client's problem.
    server.on('tlsClientError', () => undefined);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as AddressInfo).port;
      origin = `https://127.0.0.1:${actual}`;
      resolve({
        port: actual,
        origin,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
