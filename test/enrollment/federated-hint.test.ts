// Rule 14 with several Entra tenants connected: each tenant's verified domains are read from
// Microsoft Graph when it is validated (and again at each validation), and the federated sign-in
// page goes to the tenant a login_hint's domain belongs to instead of asking which one. A hint in
// no tenant's domain, in two tenants' domains, or that is no UPN leaves the choice to the user.
// Real server; fake Entra ID and Graph for the validation, a fake OpenID provider for tenant B.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { SimDevice } from '../../src/sim/device.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';
import { outboundEnv, startFakeGraph } from '../helpers/fake-graph.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer } from '../helpers/server.js';

const A = '/EnrollmentServer/Authenticate';
const APPRU = 'ms-app://s-1-15-2-111-222-333';
const PERMISSIONS = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-hint-'));
const ca = generateCa({ commonName: 'Fake Microsoft CA' });
const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), {
  hostnames: ['login.microsoftonline.com', 'login.microsoftonline.us', 'graph.microsoft.com', 'graph.microsoft.us'],
});
fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
const entra = await startFakeEntraApp(tls);
const graph = await startFakeGraph(tls, entra);

const tenant = (domains: string[]) => ({
  tenantId: crypto.randomUUID(),
  clientId: crypto.randomUUID(),
  secret: 'S3cret~' + crypto.randomBytes(12).toString('base64url'),
  domains,
});
const a = tenant(['alpha.test', 'shared.test', 'alpha-tenant.onmicrosoft.com']);
const b = tenant(['Beta.Test', 'shared.test']);
// Only tenant B is served by the OpenID provider the server signs users in with.
const idp = await startFakeOidc({ tenantId: b.tenantId, clientId: b.clientId, clientSecret: b.secret });
const s = await startTestServer({ ...outboundEnv(entra.port, graph.port, path.join(dir, 'ca.pem')), FENESTRA_ENTRA_AUTHORITY: idp.authority });
t.teardown(async () => {
  await s.close();
  await idp.close();
  await graph.close();
  await entra.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

t.before(async () => {
  for (const x of [a, b]) await connect(x);
});

async function connect(x: ReturnType<typeof tenant>) {
  entra.addTenant({ tenantId: x.tenantId, cloud: 'standard', domains: x.domains });
  entra.addApplication({ clientId: x.clientId, displayName: 'Fenestra MDM', secret: x.secret });
  entra.consent(x.tenantId, x.clientId, PERMISSIONS);
  const r = await s.admin('POST', '/api/v1/tenants', {
    tenantId: x.tenantId,
    cloud: 'standard',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: x.clientId,
    credential: { secret: x.secret },
  });
  if (r.status !== 201) throw new Error(`tenant not connected: ${JSON.stringify(r.json)}`);
}

const validate = async (t: Test, tenantId: string) => {
  const r = await s.admin('POST', `/api/v1/tenants/${tenantId}/validate`);
  const ok = r.status === 200 && (r.json as { ok: boolean }).ok;
  t.ok(ok, ok ? `tenant ${tenantId} validated` : JSON.stringify(r.json));
};
const domainsOf = async (tenantId: string) => ((await s.admin('GET', `/api/v1/tenants/${tenantId}`)).json as { domains?: string[] }).domains;
const signIn = (hint?: string) => s.request(`${A}?appru=${encodeURIComponent(APPRU)}${hint === undefined ? '' : `&login_hint=${encodeURIComponent(hint)}`}`);
const tenantLinks = (html: string) => [...html.matchAll(/href="[^"]*\/Authenticate\/entra\?tenant=([^&"]+)/g)].map((m) => m[1]).sort();

t.test('validation reads the verified domains from Graph, and a new validation refreshes them', async (t) => {
  t.equal(await domainsOf(a.tenantId), undefined, 'none before the first validation');
  await validate(t, a.tenantId);
  await validate(t, b.tenantId);
  t.same(await domainsOf(a.tenantId), ['alpha-tenant.onmicrosoft.com', 'alpha.test', 'shared.test'], 'sorted, in the API reply');
  t.same(await domainsOf(b.tenantId), ['beta.test', 'shared.test'], 'lower case');
  const listed = (await s.admin('GET', '/api/v1/tenants')).json as { tenantId: string; domains?: string[] }[];
  t.same(listed.find((x) => x.tenantId === b.tenantId)?.domains, ['beta.test', 'shared.test'], 'in the list too');

  entra.tenants.get(a.tenantId)!.domains = ['alpha.test', 'gamma.test', 'not a domain', ''];
  await validate(t, a.tenantId);
  t.same(await domainsOf(a.tenantId), ['alpha.test', 'gamma.test'], 'refreshed; what is no DNS name is dropped');
  entra.tenants.get(a.tenantId)!.domains = a.domains;
  await validate(t, a.tenantId);
});

t.test('no enrollment account: a hint in tenant B’s domain goes straight to B’s authorize endpoint', async (t) => {
  for (const hint of ['ada@beta.test', 'Ada@BETA.Test']) {
    const r = await signIn(hint);
    t.equal(r.status, 303, `${hint}: a redirect, no chooser`);
    const to = new URL(String(r.headers.location));
    t.equal(`${to.origin}${to.pathname}`, `${idp.authority}/${b.tenantId}/oauth2/v2.0/authorize`, `${hint}: tenant B's authorize endpoint`);
    t.equal(to.searchParams.get('client_id'), b.clientId, "B's own application");
    t.equal(to.searchParams.get('login_hint'), hint, 'the hint passed on to Entra');
    t.match(String(r.headers['set-cookie']), /__Secure-fenestra-enroll=[^;]+;/, 'the pending sign-in is kept for the callback');
  }
});

t.test('a hint that names no single tenant leaves the choice to the user', async (t) => {
  for (const hint of [undefined, 'ada@elsewhere.test', 'ada@shared.test', 'beta.test', 'ada@beta.test.', '@beta.test', 'ada@beta', 'ada@@beta.test']) {
    const r = await signIn(hint);
    t.equal(r.status, 200, `${hint ?? '(no hint)'}: the page`);
    t.same(tenantLinks(r.text()), [a.tenantId, b.tenantId].sort(), `${hint ?? '(no hint)'}: both tenants offered`);
  }
  // The user tells tenants apart by a domain they know, not by an id or the onmicrosoft.com name.
  const text = (await signIn(undefined)).text();
  t.match(text, />Sign in with alpha\.test</, 'tenant A named by its first custom domain');
  t.notMatch(text, new RegExp(`>Sign in with ${a.tenantId}<`), 'not by its id');
});

t.test('the hint only picks where to sign in: who signed in is what B’s ID token says', async (t) => {
  const oid = crypto.randomUUID();
  idp.user = { oid, preferred_username: 'grace@beta.test', name: 'Grace' };
  const device = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: { kind: 'federated', method: { kind: 'entra' }, upn: 'ada@beta.test' },
  });
  const e = await device.enroll();
  t.equal(e.authPolicy, 'Federated');
  t.match(e.certificateSubject, /grace@beta\.test/, "the token's user, not the hint's");
  t.notMatch(e.certificateSubject, /ada@/);
});

t.test('with enrollment accounts: B’s button alone beside the account form', async (t) => {
  const acct = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'ada@beta.test', password: 'correct horse battery' });
  t.equal(acct.status, 201);
  const r = await signIn('ada@beta.test');
  t.equal(r.status, 200, 'the page: the account form stays reachable');
  t.same(tenantLinks(r.text()), [b.tenantId], 'only tenant B');
  t.match(r.text(), /<form method="post"/);
  const other = await signIn('ada@elsewhere.test');
  t.same(tenantLinks(other.text()), [a.tenantId, b.tenantId].sort(), 'an unknown domain: both tenants');
});
