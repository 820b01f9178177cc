// Connections are a bounded resource: one that never finishes its TLS handshake is closed after
// FENESTRA_TLS_HANDSHAKE_TIMEOUT (Node's default is 120 s), and beyond FENESTRA_MAX_CONNECTIONS a
// new connection is closed at once while the open ones keep working.
import net from 'node:net';
import tls from 'node:tls';
import t from 'tap';
import { PUBLIC_HOST, startTestServer, type TestServer } from '../helpers/server.js';

/** Resolves with how long the server took to close `sock`, or rejects after `limitMs`. */
function closedWithin(sock: net.Socket, limitMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      sock.destroy();
      reject(new Error(`still open after ${limitMs} ms`));
    }, limitMs);
    sock.on('error', () => undefined);
    sock.once('close', () => {
      clearTimeout(guard);
      resolve(Date.now() - started);
    });
  });
}

/** A TLS connection: the socket once its handshake is done, or the error that ended it first. */
function connect(s: TestServer): Promise<tls.TLSSocket | Error> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port: s.server.port, servername: PUBLIC_HOST, ca: s.caPem });
    sock.once('secureConnect', () => resolve(sock));
    sock.once('error', (err) => resolve(err));
    sock.once('close', () => resolve(new Error('closed before the handshake finished')));
  });
}

/** One HTTP/1.1 request on an open TLS connection (kept alive): the status code. */
function healthz(sock: tls.TLSSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) {
        sock.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(`GET /healthz HTTP/1.1\r\nHost: ${PUBLIC_HOST}\r\n\r\n`);
  });
}

t.test('a connection that never finishes its TLS handshake is closed after the handshake timeout', async (t) => {
  const s = await startTestServer({ FENESTRA_TLS_HANDSHAKE_TIMEOUT: '1' });
  t.teardown(() => s.close());
  const silent = net.connect(s.server.port, '127.0.0.1');
  const partial = net.connect(s.server.port, '127.0.0.1', () => partial.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))); // a record header, then nothing
  const [a, b] = await Promise.all([closedWithin(silent, 8000), closedWithin(partial, 8000)]);
  t.ok(a >= 900 && b >= 900, `not before the timeout (${a} ms, ${b} ms)`);
  const ok = await connect(s);
  t.notOk(ok instanceof Error, 'a client that completes its handshake is served');
  if (!(ok instanceof Error)) {
    t.equal(await healthz(ok), 200);
    ok.destroy();
  }
});

t.test('beyond the connection cap a new connection is closed; the open ones keep working', async (t) => {
  const s = await startTestServer({ FENESTRA_MAX_CONNECTIONS: '3' });
  t.teardown(() => s.close());
  const open = await Promise.all([connect(s), connect(s), connect(s)]);
  t.ok(
    open.every((x) => !(x instanceof Error)),
    'three connections up to the cap',
  );
  const socks = open as tls.TLSSocket[];
  t.teardown(() => socks.forEach((x) => x.destroy()));
  const fourth = await connect(s);
  t.type(fourth, Error, 'the fourth is closed before its handshake');
  t.same(await Promise.all(socks.map(healthz)), [200, 200, 200], 'the open connections are unaffected');

  // Once one closes, there is room again.
  socks[0].destroy();
  const connections = () => new Promise<number>((r) => s.server.app.server.getConnections((_e, n) => r(n)));
  while ((await connections()) > 2) await new Promise((r) => setImmediate(r));
  const again = await connect(s);
  t.notOk(again instanceof Error, 'a new connection is accepted');
  if (!(again instanceof Error)) again.destroy();
});
