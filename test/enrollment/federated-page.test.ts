// Rule 14 (MS-MDE2 §3.2): "Enroll only in device management" through the federated sign-in page —
// the page posts wresult to exactly the appru, and the RST accepts that token once.
import crypto from 'node:crypto';
import t from 'tap';
import { SignJWT } from 'jose';
import { SimDevice } from '../../src/sim/device.js';
import { federatedSignIn } from '../../src/sim/federated-sign-in.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { newTestDevice } from '../helpers/device.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer, PUBLIC_URL } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';
const A = '/EnrollmentServer/Authenticate';
const VT = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';
const APPRU = 'ms-app://s-1-15-2-111-222-333';

t.test('rule 14: the federated sign-in page', async (t) => {
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const clientSecret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
  const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
  t.teardown(() => idp.close());
  const s = await startTestServer({ FENESTRA_ENTRA_AUTHORITY: idp.authority });
  t.teardown(() => s.close());
  const acct = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'federated-user', password: 'correct horse battery' });
  t.equal(acct.status, 201);

  const device = (method: { kind: 'entra' } | { kind: 'account'; username: string; password: string }, upn?: string) =>
    new SimDevice({ url: s.publicUrl, ca: s.caPem, connectTo: { host: '127.0.0.1', port: s.server.port }, credential: { kind: 'federated', method, upn } });
  const server = (url: string, opts: object) => s.request(url, opts);
  const rst = (wresult: string) => {
    const dev = newTestDevice();
    return s.soap(
      E,
      rstMessage(
        PUBLIC_URL + E,
        { kind: 'entra', jwt: wresult, valueType: VT },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Full']]) },
      ),
    );
  };

  await t.test('rule 14: the simulator enrolls with an on-premises account through the page', async (t) => {
    const e = await device({ kind: 'account', username: 'federated-user', password: 'correct horse battery' }).enroll();
    t.equal(e.authPolicy, 'Federated');
    t.match(e.certificateSubject, /federated-user/);
  });

  await t.test('rule 14: a wrong password is refused on the page in words', async (t) => {
    await t.rejects(
      federatedSignIn({
        authenticationUrl: PUBLIC_URL + A,
        appru: APPRU,
        method: { kind: 'account', username: 'federated-user', password: 'wrong-password' },
        server,
      }),
      /HTTP 401.*not correct/,
    );
  });

  await t.test('rule 14: a replayed wresult is refused', async (t) => {
    const { wresult, appru } = await federatedSignIn({
      authenticationUrl: PUBLIC_URL + A,
      appru: APPRU,
      method: { kind: 'account', username: 'federated-user', password: 'correct horse battery' },
      server,
    });
    t.equal(appru, APPRU, 'posted to exactly the appru given');
    const first = await rst(wresult);
    t.equal(first.status, 200, 'first use accepted');
    const again = await rst(wresult);
    t.equal(again.status, 500);
    t.equal(readFault(again.text())?.subcode, 's:Authentication');
    t.match(readFault(again.text())?.reason, /used already/);
  });

  await t.test('rule 14: foreign, tampered and expired tokens are refused', async (t) => {
    const { wresult } = await federatedSignIn({
      authenticationUrl: PUBLIC_URL + A,
      appru: APPRU,
      method: { kind: 'account', username: 'federated-user', password: 'correct horse battery' },
      server,
    });
    const [h, p, sig] = wresult.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else', username: 'someone-else' })).toString('base64url')}.${sig}`;
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'fenestra-enroll+jwt' }).sign(crypto.randomBytes(32));
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'fenestra-enroll+jwt' })
      .sign(crypto.randomBytes(32));
    for (const [name, token, code] of [
      ['tampered', tampered, 'bad_signature'],
      ['foreign', foreign, 'bad_signature'],
      ['expired (and foreign)', expired, '(expired|bad_signature)'],
    ] as const) {
      const r = await rst(token);
      t.equal(r.status, 500, `${name}: a fault`);
      t.equal(readFault(r.text())?.subcode, 's:Authentication', `${name}: s:Authentication`);
      t.match(readFault(r.text())?.reason, new RegExp(code), `${name}: reason`);
    }
  });

  await t.test('rule 14: an appru other than ms-app:// is refused with a page saying why', async (t) => {
    for (const bad of ['https://evil.example/', 'javascript:alert(1)', 'ms-app://x/y?z', '']) {
      const r = await s.request(`${A}?appru=${encodeURIComponent(bad)}`);
      t.equal(r.status, 400, `${bad || '(empty)'}: 400`);
      t.match(r.text(), /valid appru/);
      t.notMatch(r.text(), /wresult/);
    }
  });

  await t.test('rule 14: the simulator enrolls with Entra ID through the page (fake Entra, OpenID Connect)', async (t) => {
    const c = await s.admin('POST', '/api/v1/tenants', {
      tenantId,
      cloud: 'standard',
      audiences: ['https://mdm.fenestra.test'],
      appClientId: clientId,
      credential: { secret: clientSecret },
    });
    t.equal(c.status, 201, JSON.stringify(c.json));
    const oid = crypto.randomUUID();
    idp.user = { oid, preferred_username: 'ada@contoso.test', name: 'Ada' };
    const e = await device({ kind: 'entra' }, 'ada@contoso.test').enroll();
    t.equal(e.authPolicy, 'Federated');
    t.match(e.certificateSubject, /ada@contoso\.test/);
    t.equal(idp.authorizations.at(-1)?.codeChallengeMethod, 'S256', 'PKCE');
  });
});
