// The OpenID Connect leg of the federated sign-in page (src/http/enrollment-sign-in.ts) against
// mix-ups, with a fake Entra (test/helpers/fake-oidc.ts) that checks PKCE and uses each code once:
// two sign-ins started side by side (cookies A and B); A's cookie with B's state, or with A's
// state and B's code (PKCE verifier and nonce of A, code of B), an ID token of another tenant,
// and A's callback replayed — none yields a wresult; A's own callback does, once.
import crypto from 'node:crypto';
import t, { type Test } from 'tap';
import { ACCOUNT_POLICY, ADDRESS_POLICY } from '../../src/identity/throttle.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer } from '../helpers/server.js';

const A = '/EnrollmentServer/Authenticate';
const APPRU = 'ms-app://s-1-15-2-444-555-666';

async function setUp(t: Test) {
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const clientSecret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
  const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
  t.teardown(() => idp.close());
  const s = await startTestServer({ FENESTRA_ENTRA_AUTHORITY: idp.authority });
  t.teardown(() => s.close());
  const c = await s.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud: 'standard',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: clientId,
    credential: { secret: clientSecret },
  });
  t.equal(c.status, 201, JSON.stringify(c.json));
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test' };

  /** One sign-in started: its pending cookie and the callback query the IdP sends back. */
  async function start(): Promise<{ cookie: string; back: URLSearchParams }> {
    const page = await s.request(`${A}?appru=${encodeURIComponent(APPRU)}`);
    const href = /href="([^"]*\/entra\?[^"]+)"/.exec(page.text())?.[1]?.replaceAll('&amp;', '&');
    if (!href) throw new Error('no Entra button');
    const go = await s.request(href);
    if (go.status !== 303) throw new Error(`start: ${go.status}`);
    const cookie = String([go.headers['set-cookie']].flat()[0]).split(';')[0];
    const authorize = await fetch(String(go.headers.location), { redirect: 'manual' });
    const location = authorize.headers.get('location');
    if (!location) throw new Error(`authorize: ${authorize.status}`);
    return { cookie, back: new URL(location).searchParams };
  }
  const callback = (cookie: string, q: URLSearchParams) => s.request(`${A}/callback?${q}`, { headers: { cookie } });
  return { idp, start, callback };
}

t.test('OIDC callback mix-ups yield no token', async (t) => {
  const { idp, start, callback } = await setUp(t);
  const mixed = (state: URLSearchParams, code: URLSearchParams) => new URLSearchParams({ code: code.get('code')!, state: state.get('state')! });

  const a = await start();
  const b = await start();
  t.not(a.back.get('state'), b.back.get('state'), 'each sign-in has its own state');

  const r1 = await callback(a.cookie, b.back);
  t.equal(r1.status, 400, "A's cookie with B's state and code: 400");
  t.notMatch(r1.text(), /wresult/);
  const r2 = await callback(a.cookie, mixed(a.back, b.back));
  t.equal(r2.status, 502, "A's cookie and state with B's code: refused (PKCE)");
  t.notMatch(r2.text(), /wresult/);
  t.match(idp.tokenRefusals.at(-1), /verifier|PKCE|challenge/i, 'the provider refused the verifier');

  const other = await start();
  idp.idTokenOverrides = { tid: crypto.randomUUID() };
  const r3 = await callback(other.cookie, other.back);
  t.equal(r3.status, 502, 'an ID token of another tenant: refused');
  t.notMatch(r3.text(), /wresult/);
  idp.idTokenOverrides = undefined;

  const ok = await callback(a.cookie, a.back);
  t.equal(ok.status, 200, "A's own callback: signed in");
  t.match(ok.text(), /name="wresult" value="[^"]+"/);
  t.match(ok.text(), new RegExp(`action="${APPRU}"`), 'posted to the appru of the attempt');
  const again = await callback(a.cookie, a.back);
  t.not(again.status, 200, 'the same callback again (cookie kept by an attacker): no second token');
  t.notMatch(again.text(), /wresult/);
});

t.test('forged codes from one address stop reaching the token endpoint', async (t) => {
  const { idp, start, callback } = await setUp(t);
  // The free failures of the password back-off (keyed by this address), each refused by the token endpoint.
  const free = Math.min(ADDRESS_POLICY.freeFailures, ACCOUNT_POLICY.freeFailures);
  for (let i = 0; i < free; i++) {
    const { cookie, back } = await start();
    const r = await callback(cookie, new URLSearchParams({ code: `forged-${i}`, state: back.get('state')! }));
    t.equal(r.status, 502, `forged code ${i + 1}: refused by Entra`);
  }
  const asked = idp.tokenRefusals.length;
  t.equal(asked, free, `the token endpoint saw the ${free}`);
  const next = await start();
  const r = await callback(next.cookie, new URLSearchParams({ code: 'one-more', state: next.back.get('state')! }));
  t.equal(r.status, 429, 'the next: too many');
  t.match(String(r.headers['retry-after']), /^\d+$/, 'with Retry-After');
  t.match(r.text(), /Too many sign-ins failed/, 'said in words');
  t.notMatch(r.text(), /wresult/);
  t.equal(idp.tokenRefusals.length, asked, 'and Entra was not asked');
});
