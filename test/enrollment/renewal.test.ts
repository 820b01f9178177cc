// Certificate renewal (ROBO): a PKCS#7 signed by the certificate we issued, over mutual TLS,
// inside the renewal window, for the same device. Everything else is NotEligibleToRenew or
// an authentication fault — Windows marks an enrollment failed when renewal faults, so we
// advertise only what we honour (RenewPeriod in the provisioning doc = our window).
import crypto from 'node:crypto';
import t from 'tap';
import { generateCa, CertificateAuthority } from '../../src/pki/ca.js';
import { buildCsr } from '../../src/pki/csr-build.js';
import { derToPem } from '../../src/pki/der.js';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { newTestDevice, type TestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';

async function enrollDevice(s: TestServer, tid: string, dev: TestDevice) {
  const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId });
  const r = await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
    ),
  );
  if (r.status !== 200) throw new Error('enrollment failed');
  const prov = readRstrProvisioning(r.text());
  return { certDer: Buffer.from(prov.client!.base64, 'base64'), prov };
}

function renewalMessage(
  s: TestServer,
  o: { certDer: Buffer; key: crypto.KeyObject; deviceId: string; newKey?: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }; wrapTwice?: boolean },
) {
  const nk = o.newKey ?? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ privateKey: nk.privateKey, publicKey: nk.publicKey, subjectCn: 'renew', windowsQuirks: true });
  let p7 = buildRenewalPkcs7({ csrDer: csr, signerCertDer: o.certDer, signerKey: o.key }).toString('base64');
  if (o.wrapTwice) p7 = Buffer.from(p7).toString('base64');
  return {
    xml: rstMessage(
      s.publicUrl + E,
      { kind: 'none' },
      {
        requestType: 'Renew',
        tokenBase64: p7,
        context: [
          ['DeviceID', o.deviceId],
          ['EnrollmentType', 'Device'],
        ],
      },
    ),
    newKey: nk,
  };
}

const mtls = (certDer: Buffer, key: crypto.KeyObject) => ({
  cert: derToPem(certDer, 'CERTIFICATE'),
  key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

t.test('renewal inside the window', async (t) => {
  // 30-day certificates with the default 42-day window: freshly issued ones are renewable.
  const s = await startTestServer({ FENESTRA_CERT_VALIDITY_DAYS: '30' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = newTestDevice();
  const { certDer, prov } = await enrollDevice(s, tid, dev);
  t.equal(prov.renew?.RenewPeriod, '42');
  t.equal(prov.renew?.ServerURL, s.publicUrl + E, 'renewal goes back to our enrollment service');

  const { xml, newKey } = renewalMessage(s, { certDer, key: dev.privateKey, deviceId: dev.deviceId });
  const r = await s.soap(E, xml, mtls(certDer, dev.privateKey));
  t.equal(r.status, 200, `renewed (${readFault(r.text())?.reason ?? 'ok'})`);
  const renewed = readRstrProvisioning(r.text());
  const newCert = new crypto.X509Certificate(Buffer.from(renewed.client!.base64, 'base64'));
  const oldCert = new crypto.X509Certificate(certDer);
  t.equal(newCert.subject, oldCert.subject, 'same subject');
  t.ok(newCert.publicKey.equals(newKey.publicKey), 'certifies the new key');
  t.not(newCert.serialNumber, oldCert.serialNumber);
  t.equal(renewed.client!.store, 'System');
  t.equal(renewed.application['PROVIDER-ID'], prov.application['PROVIDER-ID']);
  t.notOk(renewed.application.ADDR, 'renewal doc carries only the certificate and PROVIDER-ID');

  const device = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId);
  const detail = (await s.admin('GET', `/api/v1/devices/${device.id}`)).json;
  t.equal(detail.certificate.thumbprint, renewed.client!.thumbprint, 'the new certificate is current');
  t.same(detail.certificates.map((c: any) => c.status).sort(), ['active', 'superseded']);

  t.test('the superseded certificate cannot renew again', async (t) => {
    const again = renewalMessage(s, { certDer, key: dev.privateKey, deviceId: dev.deviceId });
    const f = readFault((await s.soap(E, again.xml, mtls(certDer, dev.privateKey))).text());
    t.equal(f?.subcode, 's:Authorization');
    t.equal(f?.errorType, 'NotEligibleToRenew');
  });

  t.test('manual renewal (PKCS#7 base64-wrapped twice, no TLS client certificate) works with the new certificate', async (t) => {
    const newDer = Buffer.from(renewed.client!.base64, 'base64');
    const m = renewalMessage(s, { certDer: newDer, key: newKey.privateKey, deviceId: dev.deviceId, wrapTwice: true });
    const r2 = await s.soap(E, m.xml);
    t.equal(r2.status, 200);
  });

  t.test('refusals', async (t) => {
    const dev2 = newTestDevice();
    const e2 = await enrollDevice(s, tid, dev2);
    const cases: [string, () => Promise<{ subcode?: string; errorType?: string }>, string, string?][] = [
      [
        'renewal that names another device',
        async () =>
          readFault(
            (
              await s.soap(E, renewalMessage(s, { certDer: e2.certDer, key: dev2.privateKey, deviceId: dev.deviceId }).xml, mtls(e2.certDer, dev2.privateKey))
            ).text(),
          )!,
        's:Authorization',
      ],
      [
        'TLS client certificate differs from the signer',
        async () => {
          const cur = Buffer.from(renewed.client!.base64, 'base64');
          return readFault(
            (
              await s.soap(E, renewalMessage(s, { certDer: e2.certDer, key: dev2.privateKey, deviceId: dev2.deviceId }).xml, mtls(cur, newKey.privateKey))
            ).text(),
          )!;
        },
        's:Authentication',
      ],
      [
        'signed by a certificate from another CA',
        async () => {
          const other = CertificateAuthority.fromPem(...(Object.values(generateCa({ commonName: 'evil' })) as [string, string]));
          const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
          const forged = other.issueClientCertificate({
            subjectCn: 'x',
            publicKeySpkiDer: k.publicKey.export({ type: 'spki', format: 'der' }),
            validityDays: 10,
          });
          return readFault((await s.soap(E, renewalMessage(s, { certDer: forged.der, key: k.privateKey, deviceId: dev2.deviceId }).xml)).text())!;
        },
        's:Authentication',
      ],
      [
        'signature made with another key',
        async () => {
          const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
          return readFault((await s.soap(E, renewalMessage(s, { certDer: e2.certDer, key: k.privateKey, deviceId: dev2.deviceId }).xml)).text())!;
        },
        's:Authentication',
      ],
      [
        'PKCS#10 where a PKCS#7 belongs',
        async () =>
          readFault(
            (
              await s.soap(
                E,
                rstMessage(s.publicUrl + E, { kind: 'none' }, { requestType: 'Renew', tokenBase64: dev2.csrBase64(), context: [] })
                  .replace('#PKCS7', '#PKCS7')
                  .replace(/ValueType="[^"]*#PKCS7"/, 'ValueType="http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10"'),
              )
            ).text(),
          )!,
        's:MessageFormat',
      ],
      [
        'garbage PKCS#7',
        async () =>
          readFault((await s.soap(E, rstMessage(s.publicUrl + E, { kind: 'none' }, { requestType: 'Renew', tokenBase64: 'AAAA', context: [] }))).text())!,
        's:Authentication',
      ],
    ];
    for (const [name, run, subcode] of cases) {
      const f = await run();
      t.equal(f.subcode, subcode, name);
    }
  });
});

t.test('a certificate outside its renewal window is NotEligibleToRenew', async (t) => {
  const s = await startTestServer(); // 365-day certificates, 42-day window
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = newTestDevice();
  const { certDer } = await enrollDevice(s, tid, dev);
  const r = await s.soap(E, renewalMessage(s, { certDer, key: dev.privateKey, deviceId: dev.deviceId }).xml, mtls(certDer, dev.privateKey));
  const f = readFault(r.text());
  t.equal(f?.subcode, 's:Authorization');
  t.equal(f?.errorType, 'NotEligibleToRenew');
  t.match(f?.reason, /renewal window/);
});
