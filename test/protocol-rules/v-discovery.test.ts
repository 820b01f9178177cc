// MS-MDE2 §3.1 discovery (and the addressing of every enrollment answer) of a real server, against
// the rules of spec-notes §D with the specification's literal values.
import crypto from 'node:crypto';
import t from 'tap';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../../src/sim/enroll-messages.js';
import { attr, child, childText, children, parseXml, path, text } from '../../src/protocol/xml.js';
import { newTestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const D = '/EnrollmentServer/Discovery.svc';
const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';

const resultOf = (xml: string) => path(parseXml(xml), 'Envelope', 'Body', 'DiscoverResponse', 'DiscoverResult');
const headerOf = (xml: string) => path(parseXml(xml), 'Envelope', 'Header');
const messageIdOf = (xml: string) => /<a:MessageID>([^<]*)<\/a:MessageID>/.exec(xml)![1];

t.test('discovery of a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const password = 'correct horse battery';
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'ada', password })).status, 201);
  const discover = (authPolicies: string[], requestVersion = '5.0') =>
    discoverMessage('https://enterpriseenrollment.fenestra.test/EnrollmentServer/Discovery.svc', { email: 'ada@contoso.com', requestVersion, authPolicies });

  t.test('rules 1 and 2: GET /EnrollmentServer/Discovery.svc answers 200; the Discover is POSTed there', async (t) => {
    const r = await s.request('/EnrollmentServer/Discovery.svc');
    t.equal(r.status, 200);
    const post = await s.soap('/EnrollmentServer/Discovery.svc', discover(['Federated']));
    t.equal(post.status, 200);
    t.ok(resultOf(post.text()), 'a DiscoverResponse');
  });

  for (const [policies, expected] of [
    [['Federated'], 'Federated'],
    [['OnPremise'], 'OnPremise'],
    [['OnPremise', 'Federated'], 'OnPremise'],
    [['OnPremise', 'Federated', 'Certificate'], 'OnPremise'],
  ] as const) {
    t.test(`rules 3, 4, 9: ${policies.length} AuthPolicy in the request (${policies.join(', ')}) → one AuthPolicy and an EnrollmentServiceUrl`, async (t) => {
      const r = await s.soap(D, discover([...policies]));
      t.equal(r.status, 200, `${policies.length} AuthPolicy children accepted`);
      const res = resultOf(r.text());
      t.equal(children(res, 'AuthPolicy').length, 1, 'exactly one AuthPolicy');
      t.ok(['OnPremise', 'Federated', 'Certificate'].includes(childText(res, 'AuthPolicy')!), 'from the allowed set');
      t.equal(childText(res, 'AuthPolicy'), expected);
      t.equal(childText(res, 'EnrollmentServiceUrl'), 'https://enterpriseenrollment.fenestra.test/EnrollmentServer/Enrollment.svc');
    });
  }

  t.test('rules 5 and 6: AuthPolicy Federated ⇒ an https AuthenticationServiceUrl', async (t) => {
    const res = resultOf((await s.soap(D, discover(['Federated']))).text());
    t.equal(childText(res, 'AuthPolicy'), 'Federated');
    const u = childText(res, 'AuthenticationServiceUrl');
    t.ok(u, 'present');
    t.equal(new URL(u!).protocol, 'https:');
  });

  t.test('rule 13: the policy and enrollment endpoints share one host name', async (t) => {
    for (const p of [['Federated'], ['OnPremise']]) {
      const res = resultOf((await s.soap(D, discover(p))).text());
      const policy = new URL(childText(res, 'EnrollmentPolicyServiceUrl')!);
      const enroll = new URL(childText(res, 'EnrollmentServiceUrl')!);
      t.equal(policy.host, enroll.host, `${p}: ${policy.host}`);
      t.equal(policy.protocol, 'https:');
    }
  });

  t.test('rules 10, 11 and 12: every enrollment answer has its response action (mustUnderstand), RelatesTo the MessageID, no chunking', async (t) => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId, upn: 'owner@contoso.com' });
    const cred = { kind: 'entra' as const, jwt };
    const exchanges = [
      [D, discover(['Federated']), 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse'],
      [P, getPoliciesMessage(s.publicUrl + P, cred), 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse'],
      [
        E,
        rstMessage(s.publicUrl + E, cred, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) }),
        'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep',
      ],
    ] as const;
    for (const [endpoint, xml, action] of exchanges) {
      const r = await s.soap(endpoint, xml);
      t.equal(r.status, 200, `${endpoint}: 200`);
      const h = headerOf(r.text());
      t.equal((text(child(h, 'Action')) ?? '').trim(), action, `${endpoint}: a:Action`);
      t.equal(attr(child(h, 'Action'), 'mustUnderstand'), '1', `${endpoint}: s:mustUnderstand="1"`);
      t.equal(childText(h, 'RelatesTo'), messageIdOf(xml), `${endpoint}: RelatesTo is the request's MessageID`);
      t.not(r.headers['transfer-encoding'], 'chunked', `${endpoint}: not chunked`);
      t.equal(Number(r.headers['content-length']), r.body.length, `${endpoint}: Content-Length`);
    }
    const id = `urn:uuid:${crypto.randomUUID()}`;
    const fault = await s.soap(D, discover(['Certificate']).replace(/<a:MessageID>[^<]*<\/a:MessageID>/, `<a:MessageID>${id}</a:MessageID>`));
    t.equal(fault.status, 500, 'a Certificate-only client is refused with a fault');
    t.equal(childText(headerOf(fault.text()), 'RelatesTo'), id, 'the fault relates to the request too');
  });
});
