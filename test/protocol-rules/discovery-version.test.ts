// MS-MDE2 §3.1.4.1.3.2: the DiscoverResponse's EnrollmentVersion, when sent, is one of 3.0, 4.0,
// 5.0, 6.0, 7.0 — whatever RequestVersion (1.0–7.0, rule 8) the client sent.
import t from 'tap';
import { discoverMessage } from '../../src/sim/enroll-messages.js';
import { readDiscoverResponse } from '../../src/sim/enroll-responses.js';
import { startTestServer } from '../helpers/server.js';

const D = '/EnrollmentServer/Discovery.svc';
const ALLOWED = ['3.0', '4.0', '5.0', '6.0', '7.0'];

t.test('rule 7: EnrollmentVersion is one of 3.0, 4.0, 5.0, 6.0, 7.0 and never above the RequestVersion', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  await s.connectTenant();
  const discover = async (requestVersion: string) => {
    const r = await s.soap(D, discoverMessage(s.publicUrl + D, { email: 'user@contoso.test', requestVersion, authPolicies: ['Federated'] }));
    t.equal(r.status, 200, `RequestVersion ${requestVersion} accepted (rule 8)`);
    return readDiscoverResponse(r.text());
  };
  // Literal expectations: the highest allowed value not above the request, up to 5.0 (the highest fenestra implements).
  for (const [requested, expected] of [
    ['1.0', undefined],
    ['2.0', undefined],
    ['3.0', '3.0'],
    ['4.0', '4.0'],
    ['4.5', '4.0'],
    ['5.0', '5.0'],
    ['6.0', '5.0'],
    ['7.0', '5.0'],
  ] as const) {
    const got = (await discover(requested)).enrollmentVersion;
    t.equal(got, expected, `RequestVersion ${requested} → EnrollmentVersion ${expected ?? '(none)'}`);
    if (got !== undefined) {
      t.ok(ALLOWED.includes(got), `${got} is an allowed value`);
      t.ok(Number(got) <= Number(requested), `${got} is not above ${requested}`);
    }
  }
});
