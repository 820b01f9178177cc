// On-premises enrollment end to end, including the real Windows 10 device's messages.
import crypto from 'node:crypto';
import fs from 'node:fs';
import t from 'tap';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../../src/sim/enroll-messages.js';
import { readDiscoverResponse, readFault, readRelatesTo, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { newTestDevice } from '../helpers/device.js';
import { startTestServer } from '../helpers/server.js';

const fixture = (name: string) => fs.readFileSync(new URL(`../../fixtures/fleet/${name}`, import.meta.url), 'utf8');
const D = '/EnrollmentServer/Discovery.svc';
const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';

t.test('on-premises enrollment', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());

  t.test('without accounts or tenants, discovery says NotSupported', async (t) => {
    const r = await s.soap(D, fixture('01_discovery_request_device.xml'));
    const f = readFault(r.text());
    t.equal(f?.subcode, 's:Authorization');
    t.equal(f?.errorType, 'NotSupported');
    t.equal(f?.relatesTo, 'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478');
  });

  // The device's user typed "demio" / "demo"; our accounts need 8+ characters, so the test
  // account uses a longer password and the fixture's password text is swapped accordingly.
  const password = 'demo-password-1';
  const withPassword = (xml: string) => xml.replace('>demo</wsse:Password>', `>${password}</wsse:Password>`);
  const created = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'demio', password });
  t.equal(created.status, 201);

  t.test('the real Windows 10 device enrolls: discovery, policy, enrollment', async (t) => {
    const d = await s.soap(D, fixture('01_discovery_request_device.xml'));
    t.equal(d.status, 200);
    const disc = readDiscoverResponse(d.text());
    t.equal(disc.authPolicy, 'OnPremise', 'OnPremise offered and accounts exist');
    t.equal(disc.enrollmentVersion, '4.0', 'device asked for 4.0');
    t.equal(readRelatesTo(d.text()), 'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478');

    const p = await s.soap(P, withPassword(fixture('03_getpolicies_request_device.xml')));
    t.equal(p.status, 200, 'GetPolicies answered');
    t.equal(readRelatesTo(p.text()), 'urn:uuid:72048B64-0F19-448F-8C2E-B4C661860AA0');

    const e = await s.soap(E, withPassword(fixture('05_requestsecuritytoken_request_device.xml')));
    t.equal(e.status, 200, 'the real CSR verifies and the device enrolls');
    t.equal(readRelatesTo(e.text()), 'urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749');
    const prov = readRstrProvisioning(e.text());
    const cert = new crypto.X509Certificate(Buffer.from(prov.client!.base64, 'base64'));
    t.equal(cert.subject, 'CN=demio', 'a Full enrollment gets the user as subject, not the CSR subject');
    t.equal(prov.client!.store, 'User');
    const devices = await s.admin('GET', '/api/v1/devices');
    const dev = devices.json.devices.find((x: any) => x.deviceId === 'B5B954E81FBCB94EB79BD08BE625F4EE');
    t.ok(dev, 'device recorded under its DeviceID');
    t.equal(dev.authMethod, 'onpremise');
    t.equal(dev.user.upn, 'demio');
    t.equal(dev.deviceName, 'DESKTOP-28FGAI6');
    t.equal(dev.osVersion, '10.0.19043.2364');
    t.equal(dev.hwDevId, '3B3ED6D0EA88CBFCF37D36F90F22FE61172348C0162FC3840D6703149870CE76');
  });

  t.test('a wrong password or unknown user is an Authentication fault', async (t) => {
    const before = (await s.admin('GET', '/api/v1/devices')).json.total;
    const wrong = await s.soap(E, fixture('05_requestsecuritytoken_request_device.xml'));
    t.equal(readFault(wrong.text())?.subcode, 's:Authentication');
    const dev = newTestDevice();
    const unknown = await s.soap(
      E,
      rstMessage(
        s.publicUrl + E,
        { kind: 'password', username: 'nobody', password },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() },
      ),
    );
    t.equal(readFault(unknown.text())?.subcode, 's:Authentication');
    const pol = await s.soap(P, getPoliciesMessage(s.publicUrl + P, { kind: 'password', username: 'demio', password: 'nope-nope' }));
    t.equal(readFault(pol.text())?.subcode, 's:Authentication');
    t.equal((await s.admin('GET', '/api/v1/devices')).json.total, before);
  });

  t.test('with both a tenant and accounts, each client gets what it can use', async (t) => {
    await s.connectTenant();
    const both = readDiscoverResponse(
      (await s.soap(D, discoverMessage(s.publicUrl + D, { email: 'a@contoso.com', authPolicies: ['OnPremise', 'Federated'] }))).text(),
    );
    t.equal(both.authPolicy, 'OnPremise');
    const fed = readDiscoverResponse((await s.soap(D, discoverMessage(s.publicUrl + D, { email: 'a@contoso.com', authPolicies: ['Federated'] }))).text());
    t.equal(fed.authPolicy, 'Federated');
    // The federated sign-in page (rule 14) offers the enrollment accounts, Windows' appru given.
    const page = await s.request(
      `${new URL(fed.authenticationUrl!).pathname}?appru=${encodeURIComponent('ms-app://windows.immersivecontrolpanel')}&login_hint=a%40contoso.com`,
    );
    t.equal(page.status, 200);
    t.match(page.text(), /Sign in to enroll this device/);
    t.match(page.text(), /enrollment account/);
  });

  t.test('a deleted account can no longer enroll', async (t) => {
    t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'temp', password: 'temporary-pw' })).status, 201);
    const dev = newTestDevice();
    const rst = () =>
      rstMessage(
        s.publicUrl + E,
        { kind: 'password', username: 'temp', password: 'temporary-pw' },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() },
      );
    t.equal((await s.soap(E, rst())).status, 200);
    t.equal((await s.admin('DELETE', '/api/v1/enrollment-accounts/temp')).status, 204);
    t.equal(readFault((await s.soap(E, rst())).text())?.subcode, 's:Authentication');
  });
});
