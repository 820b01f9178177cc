// Concurrent renewals from one certificate (#10 item 6): a retry racing the original, or two
// replicas serving them. Exactly one wins; the others are NotEligibleToRenew and their
// certificates are never recorded — on SQLite and on PostgreSQL, against a real server.
import crypto from 'node:crypto';
import t from 'tap';
import { buildCsr } from '../../src/pki/csr-build.js';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';
const RACERS = 4;

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`${database}: ${RACERS} renewals of one certificate at once, one wins`, async (t) => {
    const s = await startTestServer({ FENESTRA_CERT_VALIDITY_DAYS: '30' }, { database });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const d = await enrollEntraDevice(s, tid);
    const signer = new crypto.X509Certificate(d.certPem).raw;
    const signerKey = crypto.createPrivateKey(d.keyPem);
    const requests = Array.from({ length: RACERS }, () => {
      const nk = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const csr = buildCsr({ privateKey: nk.privateKey, publicKey: nk.publicKey, subjectCn: 'renew', windowsQuirks: true });
      const p7 = buildRenewalPkcs7({ csrDer: csr, signerCertDer: signer, signerKey }).toString('base64');
      return rstMessage(
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
    });
    // Each on its own TLS connection, all in flight together.
    const replies = await Promise.all(requests.map((xml) => s.soap(E, xml, { cert: d.certPem, key: d.keyPem })));
    const won = replies.filter((r) => r.status === 200);
    t.equal(won.length, 1, 'exactly one renewal succeeds');
    for (const r of replies.filter((x) => x.status !== 200)) t.equal(readFault(r.text())?.errorType, 'NotEligibleToRenew');
    const detail = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}`)).json;
    const active = detail.certificates.filter((c: any) => c.status === 'active');
    t.equal(active.length, 1, 'one active certificate');
    t.equal(active[0].thumbprint, readRstrProvisioning(won[0].text()).client!.thumbprint, "the winner's");
    t.equal(detail.certificates.length, 2, "the losers' certificates are not recorded");
    const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries as any[];
    t.equal(audit.filter((e) => e.action === 'device.renew' && e.actor === `device:${d.dev.deviceId}`).length, 1, 'the renewal is audited');
  });
}
