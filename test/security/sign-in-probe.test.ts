// Outside-in probe of the federated sign-in page (rule 14, src/http/enrollment-sign-in.ts) as an
// attacker on the network sees it: hostile appru and login_hint (script in the pages), the
// security headers on every page, OpenID Connect callbacks without or with another attempt's
// state, forged and tampered attempts, bodies of the wrong type, error pages that must not echo
// what was sent, and password guessing on the on-premises form, which must share the back-off of
// the enrollment's UsernameToken (one budget per address and account, not two).
import t from 'tap';
import { getPoliciesMessage } from '../../src/sim/enroll-messages.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const A = '/EnrollmentServer/Authenticate';
const P = '/EnrollmentServer/Policy.svc';
const APPRU = 'ms-app://s-1-15-2-111-222-333';

const attemptOf = (html: string) => /name="attempt" value="([^"]+)"/.exec(html)?.[1];

async function form(s: TestServer, fields: Record<string, string>, type = 'application/x-www-form-urlencoded', from?: string) {
  const headers: Record<string, string> = { 'content-type': type, ...(from ? { 'x-forwarded-for': from } : {}) };
  return s.request(A, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
}

t.test('the federated sign-in page under attack', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'probe-user', password: 'correct horse battery' })).status, 201);

  await t.test('appru that is not a bare ms-app:// address never reaches a page', async (t) => {
    for (const bad of [
      'ms-app://x"><script>alert(1)</script>',
      "ms-app://x' onfocus='alert(1)",
      'ms-app://x\n',
      'ms-app://x/../../evil',
      'ms-app://user:pass@x',
      'ms-app:/x',
      'data:text/html,<script>alert(1)</script>',
      'JaVaScRiPt:alert(1)',
      `ms-app://${'a'.repeat(3000)}`,
    ]) {
      const r = await s.request(`${A}?appru=${encodeURIComponent(bad)}`);
      t.equal(r.status, 400, `${JSON.stringify(bad.slice(0, 40))}: 400`);
      t.notMatch(r.text(), /<script>alert|onfocus=|evil|user:pass|a{100}/, 'the page does not echo it');
    }
    const two = await s.request(`${A}?appru=${encodeURIComponent(APPRU)}&appru=${encodeURIComponent('ms-app://other')}`);
    t.equal(two.status, 400, 'appru given twice: 400');
  });

  await t.test('login_hint is shown escaped, or dropped', async (t) => {
    const hint = `"onfocus="alert(1)"autofocus="&#x27;`;
    const r = await s.request(`${A}?appru=${encodeURIComponent(APPRU)}&login_hint=${encodeURIComponent(hint)}`);
    t.equal(r.status, 200);
    t.notMatch(r.text(), /"onfocus="/, 'no attribute break-out');
    t.match(r.text(), /&quot;onfocus=&quot;alert\(1\)&quot;autofocus=&quot;&amp;#x27;/, 'shown as text');
    const tag = await s.request(`${A}?appru=${encodeURIComponent(APPRU)}&login_hint=${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
    t.equal(tag.status, 200);
    t.notMatch(tag.text(), /<img|onerror/, 'a hint with markup is dropped');
  });

  await t.test('every answer carries the CSP and the other headers, error pages too', async (t) => {
    for (const [what, r] of [
      ['page', await s.request(`${A}?appru=${encodeURIComponent(APPRU)}`)],
      ['bad appru', await s.request(`${A}?appru=x`)],
      ['expired attempt', await form(s, { attempt: 'x', username: 'a', password: 'b' })],
      ['wrong body type', await form(s, { attempt: 'x' }, 'text/plain')],
      ['callback without state', await s.request(`${A}/callback?code=abc`)],
    ] as const) {
      const csp = String(r.headers['content-security-policy']);
      t.match(csp, /default-src 'none'/, `${what}: CSP`);
      t.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/, `${what}: only the auto-submit script`);
      t.match(csp, /frame-ancestors 'none'/, `${what}: not framed`);
      t.match(csp, /form-action 'self' ms-app:/, `${what}: forms post only here or to Windows`);
      t.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
      t.equal(r.headers['cache-control'], 'no-store', `${what}: no-store`);
      t.equal(r.headers['referrer-policy'], 'no-referrer', `${what}: no referrer`);
    }
  });

  await t.test('forged, tampered and foreign attempts are expired attempts', async (t) => {
    const page = await s.request(`${A}?appru=${encodeURIComponent(APPRU)}`);
    const attempt = attemptOf(page.text())!;
    t.ok(attempt, 'the page carries a sealed attempt');
    const flipped = attempt.slice(0, 20) + (attempt[20] === 'A' ? 'B' : 'A') + attempt.slice(21);
    for (const [what, a] of [
      ['tampered', flipped],
      ['truncated', attempt.slice(0, -4)],
      ['JSON in clear', JSON.stringify({ id: 'x', appru: 'https://evil.example/', exp: Date.now() + 1e9 })],
      ['over the 8192 characters a sealed attempt may have', 'A'.repeat(8100)],
    ] as const) {
      const r = await form(s, { attempt: a, username: 'probe-user', password: 'correct horse battery' });
      t.equal(r.status, 400, `${what}: 400`);
      t.match(r.text(), /expired/, `${what}: said to have expired`);
      t.notMatch(r.text(), /wresult/, `${what}: no token`);
    }
    const sent = await s.request(`${A}/entra?tenant=x&attempt=${encodeURIComponent(flipped)}`);
    t.equal(sent.status, 400, 'the Entra start with a tampered attempt: 400');
    t.notOk(sent.headers.location, 'no redirect');
    const twice = await form(s, { attempt, username: 'probe-user', password: 'correct horse battery' }).then(() =>
      s.request(A, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `attempt=${encodeURIComponent(attempt)}&username=probe-user&username=other&password=correct+horse+battery`,
      }),
    );
    t.equal(twice.status, 400, 'a field sent twice is no field');
    t.notMatch(twice.text(), /wresult/);
  });

  await t.test('OpenID Connect callback: no pending sign-in, another state, a forged cookie', async (t) => {
    const none = await s.request(`${A}/callback?code=stolen-code&state=abc`);
    t.equal(none.status, 400, 'no cookie: 400');
    t.match(none.text(), /expired/);
    t.match(String(none.headers['set-cookie']), /Max-Age=0/, 'the cookie is cleared');
    const forged = await s.request(`${A}/callback?code=stolen-code&state=abc`, { headers: { cookie: '__Secure-fenestra-enroll=AAAA' } });
    t.equal(forged.status, 400, 'a cookie fenestra did not seal: 400');
    t.notOk(forged.headers.location, 'nothing redirects from the callback');
    const err = await s.request(`${A}/callback?error=${encodeURIComponent('<script>alert(1)</script>')}&error_description=${encodeURIComponent('<b>x</b>')}`);
    t.equal(err.status, 403);
    t.match(err.text(), /unrecognised_error/, 'an error code that is not one is not echoed');
    t.notMatch(err.text(), /<script>alert|<b>x/, 'nor its description');
  });

  await t.test('bodies of another type, and too large', async (t) => {
    const json = await s.request(A, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ attempt: 'x' }) });
    t.equal(json.status, 415, 'JSON: 415');
    t.match(json.text(), /application\/x-www-form-urlencoded/);
    const big = await form(s, { attempt: 'x', password: 'p'.repeat(20_000) });
    t.equal(big.status, 413, 'over 8 KiB: 413');
    t.notMatch(big.text(), /p{100}|Error:|at .*\.js/, 'no echo, no stack');
  });
});

t.test('password guessing on the form shares the enrollment back-off', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'alice', password: 'alice-secret-pw' })).status, 201);
  const attempt = attemptOf((await s.request(`${A}?appru=${encodeURIComponent(APPRU)}`)).text())!;
  const policy = async (username: string, password: string) =>
    String((await s.soap(P, getPoliciesMessage(s.publicUrl + P, { kind: 'password', username, password }))).headers['x-fenestra-outcome']);

  // This address: 5 wrong guesses on the form, then 5 through UsernameToken: ten in all.
  for (let i = 0; i < 5; i++) t.equal((await form(s, { attempt, username: `nobody${i}`, password: 'guess' })).status, 401, `form guess ${i + 1}: 401`);
  for (let i = 5; i < 10; i++) t.equal(await policy(`nobody${i}`, 'guess'), 's:Authentication', `UsernameToken guess ${i + 1}`);
  const held = await form(s, { attempt, username: 'alice', password: 'alice-secret-pw' });
  t.equal(held.status, 429, 'the eleventh try, on the form, is held back even with the right password');
  t.ok(Number(held.headers['retry-after']) >= 1, 'with Retry-After');
  t.match(held.text(), /Too many failed sign-in attempts/);
  t.notMatch(held.text(), /wresult/, 'no token');
  t.equal(await policy('alice', 'alice-secret-pw'), 'throttled', 'and through UsernameToken alike');
});

t.test('guesses at one account from many addresses: the form and UsernameToken count together', async (t) => {
  const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'alice', password: 'alice-secret-pw' })).status, 201);
  const attempt = attemptOf((await s.request(`${A}?appru=${encodeURIComponent(APPRU)}`)).text())!;
  const type = 'application/x-www-form-urlencoded';
  const policy = async (password: string, from: string) => {
    const headers = { 'content-type': 'application/soap+xml; charset=utf-8', 'x-forwarded-for': from };
    const r = await s.soap(P, getPoliciesMessage(s.publicUrl + P, { kind: 'password', username: 'alice', password }), { headers });
    return String(r.headers['x-fenestra-outcome']);
  };
  // Five wrong passwords for alice, each from another address: three on the form, two as UsernameToken.
  for (let i = 0; i < 3; i++) t.equal((await form(s, { attempt, username: 'Alice', password: `wrong-${i}` }, type, `10.9.0.${i + 1}`)).status, 401);
  for (let i = 3; i < 5; i++) t.equal(await policy(`wrong-${i}`, `10.9.0.${i + 1}`), 's:Authentication');
  const held = await form(s, { attempt, username: 'alice', password: 'alice-secret-pw' }, type, '10.9.1.1');
  t.equal(held.status, 429, 'the account is backed off on the form for a new address');
  t.ok(Number(held.headers['retry-after']) <= 60, 'briefly');
  t.equal(await policy('alice-secret-pw', '10.9.1.2'), 'throttled', 'and through UsernameToken');
});
