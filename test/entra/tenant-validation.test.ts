// Tenant connection for real (issue #14), through a running server: the application's client
// secret or certificate set through the admin API (never returned), the admin-consent URL for the
// tenant's cloud, and "validate" against the fake Entra ID and Graph — success, and each failure
// an administrator must be told about in words they can act on. A GCC High tenant's calls reach
// only the .us hosts (the fakes record the Host of every request).
import crypto from 'node:crypto';
import t from 'tap';
import { generateCa } from '../../src/pki/ca.js';
import { startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';

const FULL = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All'];
const guid = () => crypto.randomUUID();

const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const s = await startTestServer(fakes.env);
t.teardown(async () => {
  await s.close();
  await fakes.close();
});

/** An RSA certificate and key for an application credential. */
const appCert = () => generateCa({ commonName: 'fenestra app' });

/** A tenant known to the fake, with an application registered there and connected in fenestra. */
async function connected(o: {
  cloud?: 'standard' | 'gcc-high';
  fakeCloud?: 'standard' | 'gcc-high';
  roles?: string[] | null;
  credential?: 'secret' | 'certificate';
  sendSecret?: string;
  known?: boolean;
}) {
  const tenantId = guid();
  const clientId = guid();
  const secret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
  const cert = appCert();
  if (o.known !== false) entra.addTenant({ tenantId, cloud: o.fakeCloud ?? o.cloud ?? 'standard', displayName: 'Contoso Ltd' });
  entra.addApplication({ clientId, displayName: 'Fenestra MDM', secret, certificatePem: cert.certPem });
  if (o.known !== false && o.roles !== null) entra.consent(tenantId, clientId, o.roles ?? FULL);
  const credential = o.credential === 'certificate' ? { certificatePem: cert.certPem, privateKeyPem: cert.keyPem } : { secret: o.sendSecret ?? secret };
  const r = await s.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud: o.cloud ?? 'standard',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: clientId,
    credential,
  });
  t.equal(r.status, 201, JSON.stringify(r.json));
  return { tenantId, clientId, secret, cert, created: r.json };
}

const validate = async (tenantId: string) => {
  const r = await s.admin('POST', `/api/v1/tenants/${tenantId}/validate`);
  t.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as { ok: boolean; at: string; checks: { name: string; ok: boolean; message: string }[] };
};
const failed = (v: { checks: { name: string; ok: boolean; message: string }[] }) => v.checks.filter((c) => !c.ok);

t.test('a client secret: connected, never returned, validated check by check, the result kept and audited', async (t) => {
  const { tenantId, secret, created } = await connected({});
  t.same(Object.keys(created.credential).sort(), ['kind', 'setAt'], 'the API says which kind is set, and when');
  t.match(created.credential, { kind: 'secret', setAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ });
  t.notOk(JSON.stringify(created).includes(secret), 'the secret is not in the reply');
  const v = await validate(tenantId);
  t.equal(v.ok, true, JSON.stringify(v.checks));
  t.same(
    v.checks.map((c) => c.name),
    ['tenant', 'credential', 'organization', 'consent', 'permissions'],
  );
  t.match(v.checks.find((c) => c.name === 'organization')?.message, /Contoso Ltd/);
  t.equal(entra.tokenAuth.at(-1), 'secret');
  const got = await s.admin('GET', `/api/v1/tenants/${tenantId}`);
  t.same(got.json.validation, v, 'kept on the tenant');
  t.notOk(JSON.stringify(got.json).includes(secret));
  t.notOk(JSON.stringify(got.json).includes('sealed'));
  const audit = await s.admin('GET', `/api/v1/audit?targetId=${tenantId}`);
  t.same(audit.json.entries.map((e: { action: string }) => e.action).reverse(), ['tenant.connect', 'tenant.validate']);
  t.notOk(JSON.stringify(audit.json).includes(secret), 'the audit holds no secret');
});

t.test('GCC High with a certificate: the assertion is accepted, and every call goes to the .us hosts only', async (t) => {
  const { tenantId, clientId, cert, created } = await connected({ cloud: 'gcc-high', credential: 'certificate' });
  t.equal(created.credential.kind, 'certificate');
  t.equal(created.credential.thumbprint, new crypto.X509Certificate(cert.certPem).fingerprint.replaceAll(':', ''), 'SHA-1 thumbprint as the portal shows it');
  t.notOk(JSON.stringify(created).includes('PRIVATE KEY'));
  t.same(Object.keys(created.credential).sort(), ['kind', 'notAfter', 'setAt', 'thumbprint']);
  const consent = await s.admin('GET', `/api/v1/tenants/${tenantId}/consent-url?redirectUri=${encodeURIComponent('https://admin.fenestra.test/back')}`);
  t.equal(consent.status, 200);
  const u = new URL(consent.json.url);
  t.equal(u.origin + u.pathname, `https://login.microsoftonline.us/${tenantId}/v2.0/adminconsent`);
  t.equal(u.searchParams.get('client_id'), clientId);
  t.equal(u.searchParams.get('scope'), 'https://graph.microsoft.us/.default');
  t.equal(u.searchParams.get('redirect_uri'), 'https://admin.fenestra.test/back');

  entra.requests.length = 0;
  graph.requests.length = 0;
  const v = await validate(tenantId);
  t.equal(v.ok, true, JSON.stringify(v.checks));
  t.equal(entra.tokenAuth.at(-1), 'certificate');
  const hosts = [...entra.requests, ...graph.requests].map((r) => r.host);
  t.ok(hosts.includes('login.microsoftonline.us') && hosts.includes('graph.microsoft.us'), hosts.join(' '));
  t.same(
    hosts.filter((h) => !h.endsWith('.us')),
    [],
    'no call left for a .com host',
  );
});

t.test('each failure says what to do', async (t) => {
  await t.test('tenant ID mistyped', async (t) => {
    const { tenantId } = await connected({ known: false });
    const v = await validate(tenantId);
    t.equal(v.ok, false);
    t.match(failed(v), [{ name: 'tenant', message: /No tenant .* check the tenant ID/ }]);
  });
  await t.test('consent not granted', async (t) => {
    const { tenantId } = await connected({ roles: null });
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'consent', message: /has not granted consent yet \(open the consent URL/ }]);
  });
  await t.test('application (client) ID mistyped', async (t) => {
    const { tenantId } = await connected({});
    const p = await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, { appClientId: guid() });
    t.equal(p.status, 200);
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'consent', message: /is not known in tenant .*or the application \(client\) ID is mistyped/ }]);
  });
  await t.test('Application.Read.All absent: the permissions cannot be read, and it says which to grant', async (t) => {
    const { tenantId } = await connected({ roles: FULL.filter((r) => r !== 'Application.Read.All') });
    const v = await validate(tenantId);
    t.match(failed(v), [
      { name: 'permissions', message: /could not be read \(Authorization_RequestDenied: .*\): grant Application\.Read\.All and consent again/ },
    ]);
    t.match(
      v.checks.find((c) => c.name === 'organization'),
      { ok: true },
      'what could be read was',
    );
  });
  await t.test('Organization.Read.All absent', async (t) => {
    const { tenantId } = await connected({ roles: FULL.filter((r) => r !== 'Organization.Read.All') });
    const v = await validate(tenantId);
    t.match(failed(v), [
      { name: 'organization', message: /grant the Organization\.Read\.All permission and consent again/ },
      { name: 'permissions', message: /Missing Microsoft Graph application permissions: Organization\.Read\.All \(to confirm the tenant\)/ },
    ]);
  });
  await t.test('a permission absent', async (t) => {
    const { tenantId } = await connected({ roles: FULL.filter((r) => r !== 'Device.ReadWrite.All') });
    const v = await validate(tenantId);
    t.equal(failed(v).length, 1);
    t.match(failed(v)[0], { name: 'permissions', message: /Missing Microsoft Graph application permissions: Device\.ReadWrite\.All \(compliance/ });
    t.notMatch(failed(v)[0]?.message, /GroupMember/);
  });
  await t.test('wrong cloud: a GCC High tenant connected as Standard', async (t) => {
    const { tenantId } = await connected({ cloud: 'standard', fakeCloud: 'gcc-high' });
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'cloud', message: /GCC High.*change the tenant's cloud to "gcc-high"/ }]);
  });
  await t.test('wrong cloud: a commercial tenant connected as GCC High', async (t) => {
    const { tenantId } = await connected({ cloud: 'gcc-high', fakeCloud: 'standard' });
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'tenant', message: /change the cloud to "standard"/ }]);
  });
  await t.test('bad secret', async (t) => {
    const { tenantId } = await connected({ sendSecret: 'not-the-secret-value' });
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'credential', message: /client secret is wrong/ }]);
  });
  await t.test("any other refusal: Entra ID's own sentence, without MSAL's wrapping", async (t) => {
    const { tenantId, clientId } = await connected({});
    entra.apps.get(clientId)!.disabled = true;
    const v = await validate(tenantId);
    t.match(failed(v), [
      { name: 'credential', message: `Entra ID refused the token request (AADSTS7000112): Application '${clientId}'(Fenestra MDM) is disabled.` },
    ]);
    t.notMatch(failed(v)[0]?.message, /Timestamp|Correlation|Trace ID|Error\(s\)/);
  });
  await t.test('a certificate the application does not know', async (t) => {
    const { tenantId } = await connected({});
    const other = appCert();
    const p = await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, { credential: { certificatePem: other.certPem, privateKeyPem: other.keyPem } });
    t.equal(p.status, 200);
    const v = await validate(tenantId);
    t.match(failed(v), [{ name: 'credential', message: /did not accept the certificate \(thumbprint [0-9A-F]{40}\)/ }]);
  });
});

t.test('credentials are checked on input, a change clears the last validation, and modify and disconnect are audited', async (t) => {
  const { tenantId, cert } = await connected({});
  await validate(tenantId);
  const other = appCert();
  const refusals: [unknown, string][] = [
    [{ credential: { certificatePem: cert.certPem, privateKeyPem: other.keyPem } }, '/credential/privateKeyPem'],
    [{ credential: { certificatePem: 'nope', privateKeyPem: cert.keyPem } }, '/credential/certificatePem'],
    [{ credential: { secret: 'x', certificatePem: cert.certPem } }, '/credential'],
    [{ credential: {} }, '/credential'],
    [{ appClientId: 'not-a-guid' }, '/appClientId'],
  ];
  for (const [body, pointer] of refusals) {
    const r = await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.json.error.field ?? r.json.error.pointer, pointer, JSON.stringify(r.json));
  }
  const changed = await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, { credential: { certificatePem: cert.certPem, privateKeyPem: cert.keyPem } });
  t.equal(changed.status, 200);
  t.equal(changed.json.credential.kind, 'certificate');
  t.equal(changed.json.validation, undefined, 'the old result no longer applies');
  t.equal((await validate(tenantId)).ok, true, 'the certificate works');
  const removed = await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, { appClientId: null });
  t.equal(removed.json.credential, undefined, 'no client ID, no credential');
  const none = await validate(tenantId);
  t.match(failed(none), [{ name: 'application' }]);
  t.equal((await s.admin('GET', `/api/v1/tenants/${tenantId}/consent-url`)).status, 409, 'no consent URL without a client ID');
  t.equal((await s.admin('DELETE', `/api/v1/tenants/${tenantId}`)).status, 204);
  const audit = await s.admin('GET', `/api/v1/audit?targetId=${tenantId}`);
  const entries = (audit.json.entries as { action: string; detail?: Record<string, unknown> }[]).reverse();
  t.same(
    entries.map((e) => e.action),
    ['tenant.connect', 'tenant.validate', 'tenant.change', 'tenant.validate', 'tenant.change', 'tenant.validate', 'tenant.disconnect'],
  );
  t.match(entries[2]?.detail, { credential: { from: { kind: 'secret' }, to: { kind: 'certificate' } } });
  t.notOk(JSON.stringify(audit.json).includes('PRIVATE KEY'));
});
