// Validation's credential dates, on the service itself against the fake Entra ID and Graph: an
// expired certificate is reported before any token is asked for, one expiring within 30 days
// passes with a warning to renew it, and an expired client secret says to create a new one.
import crypto from 'node:crypto';
import t from 'tap';
import type { Tenant } from '../../src/domain/tenant.js';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { sealAppCredential } from '../../src/service/entra/credentials.js';
import { GraphClient } from '../../src/service/entra/graph-client.js';
import { Outbound, parseOutboundMap } from '../../src/service/entra/outbound.js';
import { EntraAppTokens } from '../../src/service/entra/token-provider.js';
import { validateTenant } from '../../src/service/entra/validate.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';
import { startFakeGraph } from '../helpers/fake-graph.js';

const ca = generateCa({ commonName: 'Fake Microsoft CA' });
const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: ['login.microsoftonline.com', 'graph.microsoft.com'] });
const entra = await startFakeEntraApp(tls);
const graph = await startFakeGraph(tls, entra);
const hosts = parseOutboundMap(`login.microsoftonline.com=127.0.0.1:${entra.port},graph.microsoft.com=127.0.0.1:${graph.port}`);
if (typeof hosts === 'string') throw new Error(hosts);
const outbound = new Outbound({ hosts, ca: ca.certPem });
t.teardown(async () => {
  outbound.close();
  await graph.close();
  await entra.close();
});
const key = crypto.randomBytes(32);
const tokens = new EntraAppTokens({ outbound, sealKey: key });
const deps = (now: Date) => ({ outbound, tokens, graph: new GraphClient({ outbound, tokens }), now: () => now });
const FULL = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All'];

function setUp(app: { secret?: string; secretExpired?: boolean; cert?: { certPem: string; keyPem: string } }): Tenant {
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  entra.addTenant({ tenantId, cloud: 'standard' });
  entra.addApplication({ clientId, displayName: 'Fenestra', secret: app.secret, secretExpired: app.secretExpired, certificatePem: app.cert?.certPem });
  entra.consent(tenantId, clientId, FULL);
  const appCredential = app.cert
    ? sealAppCredential({ kind: 'certificate', certificatePem: app.cert.certPem, privateKeyPem: app.cert.keyPem }, key, '/credential')
    : sealAppCredential({ kind: 'secret', secret: app.secret ?? '' }, key, '/credential');
  return { tenantId, cloud: 'standard', audiences: ['x'], appClientId: clientId, appCredential, createdAt: '', updatedAt: '' };
}

t.test('an expired certificate is reported with its thumbprint, and no token is asked for', async (t) => {
  const tenant = setUp({ cert: generateCa({ commonName: 'app', validityDays: 10 }) });
  const before = entra.tokenAuth.length;
  const later = new Date(Date.parse(tenant.appCredential!.notAfter!) + 86_400_000);
  const { validation: v } = await validateTenant(tenant, deps(later));
  t.equal(v.ok, false);
  t.match(v.checks.at(-1), {
    name: 'credential',
    ok: false,
    message: new RegExp(`thumbprint ${tenant.appCredential!.thumbprint}\\) expired on .*upload a new one`),
  });
  t.equal(entra.tokenAuth.length, before, 'no token request');
});

t.test('a certificate expiring within 30 days passes with a warning to renew it', async (t) => {
  const tenant = setUp({ cert: generateCa({ commonName: 'app', validityDays: 10 }) });
  const { validation: v } = await validateTenant(tenant, deps(new Date()));
  t.equal(v.ok, true, JSON.stringify(v.checks));
  t.match(
    v.checks.find((c) => c.name === 'credential'),
    { ok: true, message: /expires in \d+ days .*renew it soon/ },
  );
});

t.test('an expired client secret says to create a new one', async (t) => {
  const tenant = setUp({ secret: 'an-expired-secret', secretExpired: true });
  const { validation: v } = await validateTenant(tenant, deps(new Date()));
  t.match(
    v.checks.filter((c) => !c.ok),
    [{ name: 'credential', message: /client secret has expired: create a new one/ }],
  );
});
