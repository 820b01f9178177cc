// Entra enrollment end to end over real HTTPS: discovery → policy → enrollment with v1 and
// v2 tokens from a locally served JWKS, device and user enrollments, and every refusal.
import crypto from 'node:crypto';
import t from 'tap';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../../src/sim/enroll-messages.js';
import { readDiscoverResponse, readFault, readRelatesTo, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { newTestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';
const D = '/EnrollmentServer/Discovery.svc';

t.test('Entra enrollment', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const url = (p: string) => s.publicUrl + p;

  t.test('discovery answers Federated once a tenant is connected', async (t) => {
    const probe = await s.request(D);
    t.equal(probe.status, 200);
    t.equal(probe.body.length, 0);
    t.equal(probe.headers['content-length'], '0');
    const msg = discoverMessage(url(D), { email: 'alice@contoso.com', requestVersion: '5.0', authPolicies: ['Federated'] });
    const r = await s.soap(D, msg);
    t.equal(r.status, 200);
    t.match(r.headers['content-type'], /application\/soap\+xml/);
    t.notOk(r.headers['transfer-encoding'], 'not chunked');
    t.equal(Number(r.headers['content-length']), r.body.length);
    const d = readDiscoverResponse(r.text());
    t.equal(d.authPolicy, 'Federated');
    t.equal(d.enrollmentVersion, '5.0');
    t.equal(d.enrollmentUrl, url(E));
    t.equal(d.policyUrl, url(P));
    t.ok(d.authenticationUrl?.startsWith(s.publicUrl));
    const m = /<a:MessageID>([^<]+)</.exec(msg)![1];
    t.equal(readRelatesTo(r.text()), m);
    const v4 = readDiscoverResponse((await s.soap(D, discoverMessage(url(D), { email: 'a@b.c', requestVersion: '4.0', authPolicies: ['Federated'] }))).text());
    t.equal(v4.enrollmentVersion, '4.0', 'never above the client version');
    const v7 = readDiscoverResponse((await s.soap(D, discoverMessage(url(D), { email: 'a@b.c', requestVersion: '7.0', authPolicies: ['Federated'] }))).text());
    t.equal(v7.enrollmentVersion, '5.0', 'never above what we implement');
  });

  for (const version of ['v1', 'v2'] as const) {
    t.test(`device enrollment (Entra join) with a ${version} token`, async (t) => {
      const dev = newTestDevice();
      const entraDeviceId = dev.entraDeviceId;
      const oid = crypto.randomUUID();
      const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, version, upn: 'alice@contoso.com', oid, deviceid: entraDeviceId });
      const cred = { kind: 'entra' as const, jwt };
      const pol = await s.soap(P, getPoliciesMessage(url(P), cred));
      t.equal(pol.status, 200, 'GetPolicies answered');
      t.match(pol.text(), /<minimalKeyLength>2048<\/minimalKeyLength>/);
      const rst = rstMessage(url(E), cred, {
        requestType: 'Issue',
        tokenBase64: dev.csrBase64(),
        context: dev.context([['EnrollmentType', 'Device']]),
      });
      const r = await s.soap(E, rst);
      t.equal(r.status, 200, 'RST answered');
      t.equal(Number(r.headers['content-length']), r.body.length);
      const prov = readRstrProvisioning(r.text());
      t.equal(prov.client?.store, 'System', 'device certificate goes to My/System');
      const cert = new crypto.X509Certificate(Buffer.from(prov.client!.base64, 'base64'));
      const root = new crypto.X509Certificate(Buffer.from(prov.root!.base64, 'base64'));
      t.equal(cert.subject, `CN=${entraDeviceId}`, 'CN is the Entra device ID from the token');
      t.ok(cert.verify(root.publicKey), 'signed by the root in the provisioning doc');
      t.equal(root.fingerprint.replace(/:/g, ''), prov.root!.thumbprint);
      t.equal(cert.fingerprint.replace(/:/g, ''), prov.client!.thumbprint);
      t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth EKU');
      t.ok(cert.publicKey.equals(dev.publicKey), 'certifies the CSR key');
      const serial = BigInt('0x' + cert.serialNumber);
      t.ok(serial >= 1n << 64n, 'serial has at least 64 random bits');
      const nb = Date.parse(cert.validFrom);
      t.ok(Date.now() - nb <= 6 * 60_000 && Date.now() - nb >= 0, 'notBefore a few minutes back');
      const days = (Date.parse(cert.validTo) - nb) / 86_400_000;
      t.ok(days > 364 && days < 366, 'one-year validity');
      t.equal(prov.application.APPID, 'w7');
      t.equal(prov.application['PROVIDER-ID'], prov.dmClient['@id']);
      t.equal(prov.application.ADDR, `${s.publicUrl}/ManagementServer/MDM.svc`);
      t.equal(prov.application.SSLCLIENTCERTSEARCHCRITERIA, `Subject=CN%3D${entraDeviceId}&Stores=My%5CSystem`);
      t.equal(prov.appAuth.length, 2);
      t.same(prov.appAuth.map((a) => a.AAUTHLEVEL).sort(), ['APPSRV', 'CLIENT']);
      t.equal(prov.renew?.ROBOSupport, 'true');
      t.equal(prov.renew?.RenewPeriod, '42');
      t.equal(prov.dmClient.AADResourceID, AUDIENCE);
      t.equal(prov.poll.PollOnLogin, 'true');
      t.match(prov.xml, /<characteristic type="PrivateKeyContainer"\/>/);

      const list = await s.admin('GET', '/api/v1/devices');
      const found = list.json.devices.find((d: any) => d.deviceId === dev.deviceId);
      t.ok(found, 'device listed');
      const one = await s.admin('GET', `/api/v1/devices/${found.id}`);
      t.equal(one.status, 200);
      t.equal(one.json.enrollmentType, 'Device');
      t.equal(one.json.entraDeviceId, entraDeviceId);
      t.equal(one.json.user.oid, oid);
      t.equal(one.json.user.upn, 'alice@contoso.com');
      t.equal(one.json.state, 'enrolled');
      t.equal(one.json.certificate.thumbprint, prov.client!.thumbprint);
      t.equal(prov.dmClient.EntDMID, found.id);
      t.notOk(JSON.stringify(one.json).includes('digest'), 'no credential material in the API');
    });
  }

  t.test('user enrollment (work account, EnrollmentType Full): CN is the UPN, My/User', async (t) => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, version: 'v2', preferred_username: 'bob@contoso.com' });
    const r = await s.soap(
      E,
      rstMessage(
        url(E),
        { kind: 'entra', jwt, alphabet: 'base64url' },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Full']]) },
      ),
    );
    t.equal(r.status, 200, 'RST answered');
    const prov = readRstrProvisioning(r.text());
    t.equal(prov.client?.store, 'User');
    t.equal(new crypto.X509Certificate(Buffer.from(prov.client!.base64, 'base64')).subject, 'CN=bob@contoso.com');
    t.equal(prov.application.SSLCLIENTCERTSEARCHCRITERIA, 'Subject=CN%3Dbob%40contoso.com&Stores=My%5CUser');
  });

  t.test('re-enrollment of the same device keeps its id and revokes the old certificate', async (t) => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId });
    const send = () =>
      s.soap(
        E,
        rstMessage(
          url(E),
          { kind: 'entra', jwt },
          { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
        ),
      );
    t.equal((await send()).status, 200);
    t.equal((await send()).status, 200);
    const list = await s.admin('GET', '/api/v1/devices?limit=1000');
    const mine = list.json.devices.filter((d: any) => d.deviceId === dev.deviceId);
    t.equal(mine.length, 1);
    const one = await s.admin('GET', `/api/v1/devices/${mine[0].id}`);
    t.same(one.json.certificates.map((c: any) => c.status).sort(), ['active', 'revoked']);
  });

  t.test('refusals are MS-MDE2 faults and create nothing', async (t) => {
    const before = (await s.admin('GET', '/api/v1/devices')).json.total;
    const dev = newTestDevice();
    const otherTid = crypto.randomUUID();
    const cases: [string, () => Promise<string>, string, string?][] = [
      ['tenant not connected', () => s.entra.mintToken({ tid: otherTid, aud: AUDIENCE, deviceid: 'x' }), 's:Authorization'],
      ['wrong audience', () => s.entra.mintToken({ tid, aud: 'https://evil.example', deviceid: 'x' }), 's:Authentication'],
      ['expired', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', expiresInSec: -3600 }), 's:Authentication'],
      ['not yet valid', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', nbfOffsetSec: 3600 }), 's:Authentication'],
      ['HS256', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', alg: 'HS256' }), 's:Authentication'],
      ['alg none', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', alg: 'none' }), 's:Authentication'],
      [
        'issuer of another tenant',
        () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', issuer: `https://sts.windows.net/${otherTid}/` }),
        's:Authentication',
      ],
      ['unknown signing key', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', alg: 'RS384' }), 's:Authentication'],
      ['PS256 (only RS256 is accepted)', () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: 'x', alg: 'PS256' }), 's:Authentication'],
      ['device enrollment without deviceid claim', () => s.entra.mintToken({ tid, aud: AUDIENCE }), 's:Authentication'],
      ['garbage token', async () => 'not-a-token', 's:Authentication'],
    ];
    for (const [name, mint, subcode] of cases) {
      const jwt = await mint();
      const rst = rstMessage(
        url(E),
        { kind: 'entra', jwt },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
      );
      const r = await s.soap(E, rst);
      const f = readFault(r.text());
      t.equal(r.status, 500, `${name}: HTTP 500 fault`);
      t.equal(f?.subcode, subcode, `${name}: ${subcode} (${f?.reason})`);
      t.equal(f?.relatesTo, /<a:MessageID>([^<]+)</.exec(rst)![1], `${name}: RelatesTo the MessageID`);
      const pol = await s.soap(P, getPoliciesMessage(url(P), { kind: 'entra', jwt }));
      if (name !== 'device enrollment without deviceid claim') t.equal(readFault(pol.text())?.subcode, subcode, `${name}: policy refused too`);
    }
    const noCred = await s.soap(E, rstMessage(url(E), { kind: 'none' }, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() }));
    t.equal(readFault(noCred.text())?.subcode, 'a:InvalidSecurity');
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: crypto.randomUUID() });
    const badCsr = await s.soap(
      E,
      rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: Buffer.from('nonsense').toString('base64'), context: dev.context() }),
    );
    t.equal(readFault(badCsr.text())?.subcode, 's:CertificateRequest');
    const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { buildCsr } = await import('../../src/pki/csr-build.js');
    const weakCsr = buildCsr({ ...weak, subjectCn: 'x' }).toString('base64');
    const weakR = await s.soap(E, rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: weakCsr, context: dev.context() }));
    t.equal(readFault(weakR.text())?.subcode, 's:CertificateRequest', '1024-bit key refused');
    const noDeviceId = await s.soap(
      E,
      rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: [['EnrollmentType', 'Device']] }),
    );
    t.equal(readFault(noDeviceId.text())?.subcode, 's:MessageFormat');
    const appMgmt = await s.soap(
      E,
      rstMessage(
        url(E),
        { kind: 'entra', jwt },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'AppManagement']]) },
      ),
    );
    const f = readFault(appMgmt.text());
    t.equal(f?.errorType, 'NotSupported');
    const recovery = await s.soap(
      E,
      rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() }).replace(
        '200512/Issue',
        '200512/Recovery',
      ),
    );
    t.equal(readFault(recovery.text())?.errorType, 'NotSupported');
    // A UPN claim the provisioning document could not carry: refused before anything is recorded.
    const ctlUpn = await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'bell\u0007@contoso.com', oid: crypto.randomUUID() });
    const ctl = await s.soap(
      E,
      rstMessage(
        url(E),
        { kind: 'entra', jwt: ctlUpn },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Full']]) },
      ),
    );
    t.equal(readFault(ctl.text())?.subcode, 's:MessageFormat', 'a UPN holding a control character');
    t.equal((await s.admin('GET', '/api/v1/devices')).json.total, before, 'no device was created');
  });

  t.test('a disconnected tenant can no longer enroll', async (t) => {
    const tid2 = await s.connectTenant();
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid: tid2, aud: AUDIENCE, deviceid: dev.entraDeviceId });
    const rst = () =>
      rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) });
    t.equal((await s.soap(E, rst())).status, 200);
    t.equal((await s.admin('DELETE', `/api/v1/tenants/${tid2}`)).status, 204);
    const f = readFault((await s.soap(E, rst())).text());
    t.equal(f?.subcode, 's:Authorization');
  });

  t.test('a JWKS outage is a server error, not bad credentials', async (t) => {
    const tid3 = await s.connectTenant();
    const jwt = await s.entra.mintToken({ tid: tid3, aud: AUDIENCE, deviceid: crypto.randomUUID() });
    s.entra.setAvailable(false);
    t.teardown(() => s.entra.setAvailable(true));
    const r = await s.soap(P, getPoliciesMessage(url(P), { kind: 'entra', jwt }));
    t.equal(readFault(r.text())?.subcode, 's:EnrollmentServer');
  });
});

t.test('GCC High tenant', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant({ cloud: 'gcc-high', audiences: [AUDIENCE, '11111111-2222-3333-4444-555555555555'] });
  const dev = newTestDevice();
  const url = (p: string) => s.publicUrl + p;
  const jwt = await s.entra.mintToken({ tid, aud: '11111111-2222-3333-4444-555555555555', version: 'v2', deviceid: dev.entraDeviceId });
  const r = await s.soap(
    E,
    rstMessage(url(E), { kind: 'entra', jwt }, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) }),
  );
  t.equal(r.status, 200, 'client-ID audience accepted');
  const std = await s.entra.mintToken({
    tid,
    aud: AUDIENCE,
    version: 'v2',
    deviceid: crypto.randomUUID(),
    issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
  });
  const f = readFault((await s.soap(P, getPoliciesMessage(url(P), { kind: 'entra', jwt: std }))).text());
  t.equal(f?.subcode, 's:Authentication', 'a standard-cloud issuer is refused for a GCC High tenant');
});
