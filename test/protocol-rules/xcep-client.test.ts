// MS-XCEP §3.1.4.1.2.1: GetPolicies' client element is required and not nillable; a request
// without it, or with <client xsi:nil="true"/>, is answered with a SOAP fault.
import t from 'tap';
import { getPoliciesMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { startTestServer } from '../helpers/server.js';

const P = '/EnrollmentServer/Policy.svc';
const CLIENT = '<client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client>';

t.test('rule 15: GetPolicies with an absent or nil client element gets a SOAP fault', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const password = 'correct horse battery';
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'ada', password })).status, 201);
  const message = getPoliciesMessage(s.publicUrl + P, { kind: 'password', username: 'ada', password });
  t.ok(message.includes(CLIENT), 'the simulator sends the client element this test replaces');

  const ok = await s.soap(P, message);
  t.equal(ok.status, 200, 'with a client element (nil children allowed) the policy is answered');
  t.match(ok.text(), /<GetPoliciesResponse /);

  for (const [name, client] of [
    ['xsi:nil="true"', '<client xsi:nil="true"/>'],
    ['xsi:nil="1"', '<client xsi:nil="1"></client>'],
    ['absent', ''],
  ] as const) {
    const r = await s.soap(P, message.replace(CLIENT, client));
    t.equal(r.status, 500, `client ${name}: HTTP 500 with a SOAP fault`);
    const f = readFault(r.text());
    t.equal(f?.subcode, 's:MessageFormat', `client ${name}: s:MessageFormat`);
    t.match(f?.reason, /client/, `client ${name}: the reason names the client element`);
    t.notMatch(r.text(), /<GetPoliciesResponse /, `client ${name}: no policy`);
  }
});
