// A certificate request whose self-signature verifies but whose key the CA will not certify:
// enrollment and renewal both answer s:CertificateRequest (one issueOrFault), not an internal
// fault, and nothing is recorded. The key is an RSA key under the X.500 algorithm OID 2.5.8.1.1
// (id-ea-rsa): OpenSSL reads it as RSA, so the PKCS#10 verifies, but the issuing CA embeds only
// rsaEncryption and id-ecPublicKey keys and refuses it with a PkiError.
import crypto from 'node:crypto';
import t from 'tap';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { newTestDevice } from '../helpers/device.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const hex = (h: string) => Buffer.from(h, 'hex');

/** PKCS#10 (sha256WithRSAEncryption) of a fresh RSA key whose SPKI names id-ea-rsa instead of rsaEncryption. */
function csrWithX500RsaKey(): Buffer {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const rsaEncryption = hex('300d06092a864886f70d0101010500');
  const at = spki.indexOf(rsaEncryption);
  if (at < 0) throw new Error('unexpected SPKI encoding');
  const bitString = spki.subarray(at + rsaEncryption.length);
  const x500Spki = seq(seq(hex('0604550801010500')), bitString);
  const subject = seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, Buffer.from('renew')))));
  const cri = seq(hex('020100'), subject, x500Spki, hex('a000'));
  const signature = crypto.sign('sha256', cri, privateKey);
  return seq(cri, hex('300d06092a864886f70d01010b0500'), tlv(0x03, Buffer.concat([hex('00'), signature])));
}

t.test('rule 38: a key the CA refuses to certify is s:CertificateRequest, at enrollment and at renewal', async (t) => {
  // 30-day certificates with the default 42-day window: freshly issued ones are renewable.
  const s = await startTestServer({ FENESTRA_CERT_VALIDITY_DAYS: '30' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();

  t.test('enrollment', async (t) => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId });
    const xml = rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      {
        requestType: 'Issue',
        tokenBase64: csrWithX500RsaKey().toString('base64'),
        context: dev.context([['EnrollmentType', 'Device']]),
      },
    );
    const r = await s.soap(E, xml);
    t.equal(r.status, 500);
    const fault = readFault(r.text());
    t.equal(fault?.subcode, 's:CertificateRequest', fault?.reason ?? 'a fault');
    t.match(fault?.reason, /could not be issued/, 'refused at issuance, past the request checks');
    const devices = (await s.admin('GET', '/api/v1/devices')).json.devices as { deviceId: string }[];
    t.notOk(
      devices.some((d) => d.deviceId === dev.deviceId),
      'no device recorded',
    );
  });

  t.test('renewal', async (t) => {
    const d = await enrollEntraDevice(s, tid);
    const signerCertDer = new crypto.X509Certificate(d.certPem).raw;
    const p7 = buildRenewalPkcs7({ csrDer: csrWithX500RsaKey(), signerCertDer, signerKey: crypto.createPrivateKey(d.keyPem) });
    const xml = rstMessage(
      s.publicUrl + E,
      { kind: 'none' },
      {
        requestType: 'Renew',
        tokenBase64: p7.toString('base64'),
        context: [
          ['DeviceID', d.dev.deviceId],
          ['EnrollmentType', 'Device'],
        ],
      },
    );
    const r = await s.soap(E, xml, { cert: d.certPem, key: d.keyPem });
    t.equal(r.status, 500);
    const fault = readFault(r.text());
    t.equal(fault?.subcode, 's:CertificateRequest', fault?.reason ?? 'a fault');
    t.match(fault?.reason, /could not be issued/, 'refused at issuance, past the request checks');
    const detail = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}`)).json;
    t.same(
      detail.certificates.map((c: { thumbprint: string; status: string }) => [c.thumbprint, c.status]),
      [[d.prov.client!.thumbprint, 'active']],
      'the old certificate stays the only one, active',
    );
  });
});
