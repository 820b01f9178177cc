// The fake Entra ID's token endpoint checks both credential kinds as Entra ID does, so the tests
// built on it can fail: a client secret must be the registered one; a client assertion must be a
// jwt-bearer JWT signed by the registered certificate's key and naming that certificate (x5t#S256
// or x5t), issued by and about the client, for this token endpoint, not expired. A wrong
// certificate is refused both when posted by hand and through fenestra's own token client (MSAL).
import crypto from 'node:crypto';
import https from 'node:https';
import { importPKCS8, SignJWT } from 'jose';
import t from 'tap';
import type { Tenant } from '../../src/domain/tenant.js';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { sealAppCredential } from '../../src/service/entra/credentials.js';
import { Outbound, parseOutboundMap } from '../../src/service/entra/outbound.js';
import { EntraAppTokens, EntraTokenError } from '../../src/service/entra/token-provider.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';

const ca = generateCa({ commonName: 'Fake Microsoft CA' });
const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: ['login.microsoftonline.com'] });
const entra = await startFakeEntraApp(tls);
t.teardown(() => entra.close());

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const secretApp = crypto.randomUUID();
const secret = 'Ab3~' + crypto.randomBytes(16).toString('base64url');
const cert = generateCa({ commonName: 'registered' });
const other = generateCa({ commonName: 'not registered' });
entra.addTenant({ tenantId, cloud: 'standard' });
entra.addApplication({ clientId, displayName: 'with a certificate', certificatePem: cert.certPem });
entra.addApplication({ clientId: secretApp, displayName: 'with a secret', secret });
entra.consent(tenantId, clientId, ['Organization.Read.All']);
entra.consent(tenantId, secretApp, ['Organization.Read.All']);

const endpoint = `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SCOPE = 'https://graph.microsoft.com/.default';
const thumb = (hex: string) => Buffer.from(hex.replaceAll(':', ''), 'hex').toString('base64url');
const x5t256 = (pem: string) => thumb(new crypto.X509Certificate(pem).fingerprint256);
const x5t = (pem: string) => thumb(new crypto.X509Certificate(pem).fingerprint);

/** POSTs a form to the fake's token endpoint by its real host name; the AADSTS code or 'ok'. */
function token(form: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, ...form }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: 'POST',
        host: '127.0.0.1',
        port: entra.port,
        servername: 'login.microsoftonline.com',
        path: new URL(endpoint).pathname,
        headers: { host: 'login.microsoftonline.com', 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        ca: ca.certPem,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token?: string; error_codes?: number[] };
          resolve(res.statusCode === 200 && json.access_token ? 'ok' : String(json.error_codes?.[0] ?? res.statusCode));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A client assertion, by default right in every respect; each option spoils one thing. */
async function assertion(o: { keyPem?: string; header?: Record<string, string>; aud?: string; iss?: string; expiresIn?: number; alg?: string } = {}) {
  const alg = o.alg ?? 'RS256';
  const key = await importPKCS8(
    crypto
      .createPrivateKey(o.keyPem ?? cert.keyPem)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    alg,
  );
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg, typ: 'JWT', ...(o.header ?? { 'x5t#S256': x5t256(cert.certPem) }) })
    .setIssuer(o.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(o.aud ?? endpoint)
    .setNotBefore(now - 5)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (o.expiresIn ?? 600))
    .sign(key);
}
const withAssertion = async (o?: Parameters<typeof assertion>[0]) =>
  token({ client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: await assertion(o) });

t.test('a client secret: the registered one only', async (t) => {
  t.equal(await token({ client_id: secretApp, client_secret: secret }), 'ok');
  t.equal(await token({ client_id: secretApp, client_secret: secret + 'x' }), '7000215', 'a wrong secret');
  t.equal(await token({ client_id: secretApp }), '7000215', 'no secret');
  t.equal(await token({ client_id: clientId, client_secret: secret }), '7000215', 'an application with a certificate only');
});

t.test('a client assertion signed by the registered certificate', async (t) => {
  const before = entra.tokenAuth.length;
  t.equal(await withAssertion(), 'ok', 'x5t#S256');
  t.equal(await withAssertion({ header: { x5t: x5t(cert.certPem) } }), 'ok', 'x5t (SHA-1) alone');
  t.equal(await withAssertion({ header: { x5t: x5t(cert.certPem), 'x5t#S256': x5t256(cert.certPem) } }), 'ok', 'both');
  t.equal(await withAssertion({ alg: 'PS256' }), 'ok', 'PS256');
  t.same(entra.tokenAuth.slice(before), ['certificate', 'certificate', 'certificate', 'certificate']);
});

t.test('a wrong certificate, or a wrong assertion, is refused', async (t) => {
  const before = entra.tokenAuth.length;
  t.equal(await withAssertion({ keyPem: other.keyPem, header: { 'x5t#S256': x5t256(other.certPem) } }), '700027', 'another certificate');
  t.equal(await withAssertion({ keyPem: other.keyPem }), '700027', 'names the registered certificate, signed by another key');
  t.equal(await withAssertion({ header: { 'x5t#S256': x5t256(other.certPem) } }), '700027', 'signed right, names another certificate');
  t.equal(await withAssertion({ header: { x5t: x5t(other.certPem), 'x5t#S256': x5t256(cert.certPem) } }), '700027', 'x5t of another certificate');
  t.equal(await withAssertion({ header: {} }), '700027', 'no thumbprint');
  t.equal(await withAssertion({ aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' }), '700027', 'another audience');
  t.equal(await withAssertion({ iss: crypto.randomUUID() }), '700027', 'another issuer');
  t.equal(await withAssertion({ expiresIn: -3600 }), '700027', 'expired');
  t.equal(await withAssertion({ alg: 'RS384' }), '700027', 'an algorithm Entra ID does not take');
  const jwt = await assertion();
  t.equal(await token({ client_id: clientId, client_assertion: jwt }), '50027', 'no client_assertion_type');
  t.equal(await token({ client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: jwt, client_secret: secret }), '90015', 'with a secret too');
  t.equal(await token({ client_id: secretApp, client_assertion_type: JWT_BEARER, client_assertion: jwt }), '700027', 'an application with no certificate');
  t.equal(entra.tokenAuth.length, before, 'no token was issued');
});

t.test("through fenestra's token client: the registered certificate gets a token, another is refused (700027)", async (t) => {
  const hosts = parseOutboundMap(`login.microsoftonline.com=127.0.0.1:${entra.port}`);
  if (typeof hosts === 'string') throw new Error(hosts);
  const outbound = new Outbound({ hosts, ca: ca.certPem });
  t.teardown(() => outbound.close());
  const key = crypto.randomBytes(32);
  const tokens = new EntraAppTokens({ outbound, sealKey: key });
  const tenant = (c: { certPem: string; keyPem: string }): Tenant => ({
    tenantId,
    cloud: 'standard',
    audiences: ['x'],
    appClientId: clientId,
    appCredential: sealAppCredential({ kind: 'certificate', certificatePem: c.certPem, privateKeyPem: c.keyPem }, key, '/credential'),
    createdAt: '',
    updatedAt: '',
  });
  t.ok(await tokens.graphToken(tenant(cert)));
  t.equal(entra.tokenAuth.at(-1), 'certificate');
  tokens.forget(tenantId);
  const refused = await tokens.graphToken(tenant(other)).catch((e: unknown) => e);
  t.ok(refused instanceof EntraTokenError);
  t.equal((refused as EntraTokenError).code, '700027');
});
