// Renewal behind a TLS-terminating proxy (#10 item 5): the enrollment routes read the client
// certificate by the same rule as management — the header of a trusted proxy, in each format,
// and nothing but the TLS connection from any other address.
import crypto from 'node:crypto';
import t from 'tap';
import { buildCsr } from '../../src/pki/csr-build.js';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { getPoliciesMessage, rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { enrollEntraDevice, type EnrolledDevice } from '../helpers/enrolled.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';

function forwarded(format: 'nginx' | 'envoy' | 'traefik' | 'azure', certPem: string): Record<string, string> {
  const der = new crypto.X509Certificate(certPem).raw;
  switch (format) {
    case 'nginx':
      return { 'ssl-client-cert': encodeURIComponent(certPem) };
    case 'envoy':
      return {
        'x-forwarded-client-cert': `Hash=${crypto.createHash('sha256').update(der).digest('hex')};Cert="${encodeURIComponent(certPem)}";Subject="CN=x"`,
      };
    case 'traefik':
      return { 'x-forwarded-tls-client-cert': der.toString('base64') };
    case 'azure':
      return { 'x-arr-clientcert': der.toString('base64') };
  }
}

/** What Windows sends to renew: GetPolicies with no token, then the signed PKCS#7 (no TLS certificate here: the proxy has it). */
async function renewThrough(s: TestServer, d: EnrolledDevice, headers: Record<string, string>) {
  const policy = await s.soap(P, getPoliciesMessage(s.publicUrl + P, { kind: 'none' }), {
    headers: { 'content-type': 'application/soap+xml; charset=utf-8', ...headers },
  });
  const nk = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ privateKey: nk.privateKey, publicKey: nk.publicKey, subjectCn: 'renew', windowsQuirks: true });
  const signer = new crypto.X509Certificate(d.certPem).raw;
  const p7 = buildRenewalPkcs7({ csrDer: csr, signerCertDer: signer, signerKey: crypto.createPrivateKey(d.keyPem) }).toString('base64');
  const rst = rstMessage(
    s.publicUrl + E,
    { kind: 'none' },
    {
      requestType: 'Renew',
      tokenBase64: p7,
      context: [
        ['DeviceID', d.dev.deviceId],
        ['EnrollmentType', 'Device'],
      ],
    },
  );
  const renewal = await s.soap(E, rst, { headers: { 'content-type': 'application/soap+xml; charset=utf-8', ...headers } });
  return { policy, renewal };
}

for (const format of ['nginx', 'envoy', 'traefik', 'azure'] as const) {
  t.test(`policy and renewal through a trusted ${format} proxy`, async (t) => {
    // The test client connects from 127.0.0.1: that is the proxy's address here.
    const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1,::1', FENESTRA_PROXY_CERT_FORMAT: format, FENESTRA_CERT_VALIDITY_DAYS: '30' });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const [a, b] = [await enrollEntraDevice(s, tid), await enrollEntraDevice(s, tid)];

    const { policy, renewal } = await renewThrough(s, a, forwarded(format, a.certPem));
    t.equal(policy.status, 200, `GetPolicies with the forwarded certificate (${readFault(policy.text())?.reason ?? 'ok'})`);
    t.match(policy.text(), /GetPoliciesResponse/);
    t.equal(renewal.status, 200, `renewed (${readFault(renewal.text())?.reason ?? 'ok'})`);
    const renewed = readRstrProvisioning(renewal.text());
    t.equal((await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}`)).json.certificate.thumbprint, renewed.client!.thumbprint);

    // The forwarded certificate must be the signer's, as a TLS one must.
    const mixed = await renewThrough(s, b, forwarded(format, a.certPem));
    t.equal(readFault(mixed.renewal.text())?.subcode, 's:Authentication', 'a forwarded certificate other than the signer is refused');
    const bad = await renewThrough(s, b, { [Object.keys(forwarded(format, b.certPem))[0]]: 'garbage%%%' });
    t.equal(readFault(bad.renewal.text())?.subcode, 's:Authentication', 'a malformed header is refused');
  });
}

t.test('the header of an untrusted address is ignored', async (t) => {
  const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '192.0.2.10', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const a = await enrollEntraDevice(s, tid);
  const { policy } = await renewThrough(s, a, forwarded('nginx', a.certPem));
  t.equal(readFault(policy.text())?.subcode, 'a:InvalidSecurity', 'no credential: the header does not count');
});
