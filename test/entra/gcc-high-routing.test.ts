// GCC High routing end to end (issue #14): through a running server whose outbound map sends the
// .us hosts to the fake Entra ID and Graph and every commercial (.com, .net) Microsoft host a
// client could call to a trap that counts each connection. A GCC High tenant connected with a
// client secret, then with a certificate, validates with every call at login.microsoftonline.us
// and graph.microsoft.us (tokens scoped to graph.microsoft.us) and no connection to the trap; its
// consent URL is .us. A Standard tenant on the same server reaches the trap, which shows the trap
// catches a .com call.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';
import { startFakeGraph } from '../helpers/fake-graph.js';
import { startTestServer } from '../helpers/server.js';

const FULL = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All'];
/** Commercial-cloud hosts a token or Graph client could reach for (authority aliases, instance discovery, Graph). */
const COMMERCIAL = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net', 'graph.microsoft.com', 'graph.windows.net'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-gcch-'));
const ca = generateCa({ commonName: 'Fake Microsoft CA' });
const issuer = CertificateAuthority.fromPem(ca.certPem, ca.keyPem);
const usTls = generateServerCertificate(issuer, { hostnames: ['login.microsoftonline.us', 'graph.microsoft.us'] });
const trapTls = generateServerCertificate(issuer, { hostnames: COMMERCIAL });
fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
const entra = await startFakeEntraApp(usTls);
const graph = await startFakeGraph(usTls, entra);

/** Counts every TCP connection (before TLS, so even a refused handshake counts) and the hosts asked for. */
const trap = { connections: 0, hosts: [] as string[] };
const trapServer = https.createServer({ cert: trapTls.certPem, key: trapTls.keyPem }, (req, res) => {
  trap.hosts.push(String(req.headers.host));
  res.writeHead(421, { 'content-type': 'application/json' }).end('{"error":"misdirected"}');
});
trapServer.on('connection', () => trap.connections++);
await new Promise<void>((r) => trapServer.listen(0, '127.0.0.1', r));
const trapPort = (trapServer.address() as AddressInfo).port;

const s = await startTestServer({
  FENESTRA_TEST_OUTBOUND: [
    `login.microsoftonline.us=127.0.0.1:${entra.port}`,
    `graph.microsoft.us=127.0.0.1:${graph.port}`,
    ...COMMERCIAL.map((h) => `${h}=127.0.0.1:${trapPort}`),
  ].join(','),
  FENESTRA_TEST_OUTBOUND_CA: path.join(dir, 'ca.pem'),
});
t.teardown(async () => {
  await s.close();
  await graph.close();
  await entra.close();
  trapServer.closeAllConnections();
  await new Promise<void>((r) => trapServer.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const validate = async (tenantId: string) => {
  const r = await s.admin('POST', `/api/v1/tenants/${tenantId}/validate`);
  t.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as { ok: boolean; checks: { name: string; ok: boolean; message: string }[] };
};

/** A GCC High tenant of the fake, its application consented, connected in fenestra with this credential. */
async function gccHighTenant(kind: 'secret' | 'certificate') {
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const secret = 'Us9~' + crypto.randomBytes(16).toString('base64url');
  const cert = generateCa({ commonName: 'fenestra app' });
  entra.addTenant({ tenantId, cloud: 'gcc-high', displayName: 'Contoso Federal' });
  entra.addApplication({ clientId, displayName: 'Fenestra MDM', secret, certificatePem: cert.certPem });
  entra.consent(tenantId, clientId, FULL);
  const r = await s.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud: 'gcc-high',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: clientId,
    credential: kind === 'secret' ? { secret } : { certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
  });
  t.equal(r.status, 201, JSON.stringify(r.json));
  return { tenantId, clientId };
}

for (const kind of ['secret', 'certificate'] as const) {
  t.test(`GCC High with a ${kind}: validated through the .us hosts only`, async (t) => {
    const { tenantId, clientId } = await gccHighTenant(kind);
    const consent = await s.admin('GET', `/api/v1/tenants/${tenantId}/consent-url`);
    const u = new URL(consent.json.url);
    t.equal(u.host, 'login.microsoftonline.us');
    t.equal(u.searchParams.get('scope'), 'https://graph.microsoft.us/.default');
    t.equal(u.searchParams.get('client_id'), clientId);

    entra.requests.length = 0;
    graph.requests.length = 0;
    const tokensBefore = entra.tokenAuth.length;
    const v = await validate(tenantId);
    t.equal(v.ok, true, JSON.stringify(v.checks));
    t.same(entra.tokenAuth.slice(tokensBefore), [kind], 'one token, by this credential, for the .us Graph (the fake refuses another scope)');
    t.same(new Set(entra.requests.map((r) => r.host)), new Set(['login.microsoftonline.us']));
    t.same(new Set(graph.requests.map((r) => r.host)), new Set(['graph.microsoft.us']));
    t.ok(
      entra.requests.some((r) => r.path === `/${tenantId}/oauth2/v2.0/token`),
      'the token came from the .us authority',
    );
    const paths = graph.requests.map((r) => r.path);
    t.ok(paths.includes('/v1.0/organization') && paths.includes('/v1.0/servicePrincipals'), paths.join(' '));
    t.equal(paths.filter((p) => p.endsWith('/appRoleAssignments')).length, 2, "the role assignments' next page too, on the .us Graph");
    t.equal(trap.connections, 0, 'no connection to a commercial host');
    t.same(trap.hosts, []);
  });
}

t.test('the trap catches a call to a commercial host: a Standard tenant on the same server', async (t) => {
  const tenantId = crypto.randomUUID();
  const r = await s.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud: 'standard',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: crypto.randomUUID(),
    credential: { secret: 'Co9~' + crypto.randomBytes(16).toString('base64url') },
  });
  t.equal(r.status, 201);
  const v = await validate(tenantId);
  t.equal(v.ok, false);
  t.match(v.checks, [{ name: 'tenant', ok: false, message: /login\.microsoftonline\.com answered HTTP 421/ }]);
  t.ok(trap.connections > 0, 'the trap saw the connection');
  t.same(trap.hosts, ['login.microsoftonline.com']);
});
