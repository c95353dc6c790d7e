// Kept-alive connections: the emulator's servers keep an idle connection open far longer than any
// client does, so a client never sends a request on a socket the server is closing at that moment;
// and the control client sends an idempotent request again when a reused socket was reset under it.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { callControl } from '../../emulator/src/control-client';
import { KEEP_ALIVE_TIMEOUT_MS, startHttpsServer, writeReply } from '../../emulator/src/server';
import { ensureTlsMaterial, type TlsMaterial } from '../../emulator/src/tls';

const tlsDir = process.env.EMULATOR_TLS_DIR ?? path.resolve(__dirname, '..', '..', '..', '.tls');

describe('emulator: kept-alive connections', () => {
  let tls: TlsMaterial;
  before(async () => {
    tls = await ensureTlsMaterial(tlsDir);
  });

  it('announces an idle timeout far above a client\'s, and serves requests on one reused socket', async () => {
    const server = await startHttpsServer(tls, 0, async (_req, res) => writeReply(res, { status: 200, body: { ok: true } }), () => undefined);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: tls.caPem });
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 3; i++) {
        const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
          https.get(`${server.origin}/x`, { agent }, (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(res.headers['keep-alive'] as string | undefined));
          }).on('error', reject);
        });
        assert.equal(keepAlive, `timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(sockets.size, 1, 'the three requests share one connection');
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  describe('the control client, against a server that resets the second request of each connection', () => {
    let server: https.Server;
    let url: string;
    const seen: string[] = [];

    before(async () => {
      server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
        const socket = req.socket as typeof req.socket & { served?: number };
        socket.served = (socket.served ?? 0) + 1;
        seen.push(`${req.method} ${socket.served}`);
        // What a server closing an idle kept-alive socket looks like to a client that just sent on it.
        if (socket.served > 1) {
          socket.destroy();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    beforeEach(async () => {
      // Each test starts without a kept-alive connection from the one before.
      server.closeAllConnections();
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen.length = 0;
    });

    it('sends a GET again on a fresh connection when its reused socket was reset', async () => {
      assert.deepEqual(await callControl(url, 'GET', 'state', undefined, tls.caPath), { method: 'GET' });
      assert.deepEqual(await callControl(url, 'GET', 'state', undefined, tls.caPath), { method: 'GET' });
      assert.deepEqual(seen, ['GET 1', 'GET 2', 'GET 1']);
    });

    it('does not send a POST again: it fails, naming the call', async () => {
      await callControl(url, 'POST', 'jobs', {}, tls.caPath);
      await assert.rejects(callControl(url, 'POST', 'jobs', {}, tls.caPath), /control POST jobs failed/);
      assert.deepEqual(seen, ['POST 1', 'POST 2']);
    });
  });
});
