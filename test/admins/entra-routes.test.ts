// The console's Entra routes when Entra cannot be reached: the start answers a page saying so
// (502), logged at warn, and no pending sign-in cookie is set. In process (Fastify inject): a
// provider that is down cannot be made from the end-to-end test's server, whose client has
// already discovered its provider.
import crypto from 'node:crypto';
import net from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import t from 'tap';
import { entraSignInRoutes } from '../../src/http/console/entra-sign-in.js';
import { EntraSignIn } from '../../src/identity/entra-sign-in.js';

/** A loopback port nobody listens on. */
const deadPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

t.test('Entra unreachable: a page that says so, a warn line, no cookie', async (t) => {
  const warns: unknown[] = [];
  const app = Fastify({ loggerInstance: pino({ level: 'warn' }, { write: (line: string) => void warns.push(JSON.parse(line)) }) });
  const redirectUri = 'https://console.fenestra.test/console/auth/entra/callback';
  const client = new EntraSignIn({
    tenantId: crypto.randomUUID(),
    clientId: crypto.randomUUID(),
    clientSecret: 'x',
    authority: `http://127.0.0.1:${await deadPort()}`,
    insecureHttp: true,
    redirectUri,
    roles: { owner: ['x'], admin: [], helpdesk: [], 'read-only': [] },
    timeoutSeconds: 2,
  });
  const signInExternal = () => Promise.reject(new Error('not reached'));
  await app.register(
    async (c) =>
      entraSignInRoutes(c, { client, stateKey: crypto.randomBytes(32), redirectUri, admins: { signInExternal }, session: { name: 's', set() {}, clear() {} } }),
    { prefix: '/console' },
  );
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/console/auth/entra?next=/console/devices' });
  t.equal(res.statusCode, 502);
  t.match(res.body, /fenestra could not reach Entra ID/);
  t.match(res.body, /href="\/console\/auth\/entra\?next=%2Fconsole%2Fdevices"/, 'try again, to the same page');
  t.equal(res.headers['set-cookie'], undefined, 'no pending sign-in');
  t.match(warns, [{ reason: 'unavailable', detail: /discovery/ }]);
});
