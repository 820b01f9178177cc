// The console's own cookies (review of issue #13): the language and the one-shot flash are
// __Host- prefixed like the session cookie (Secure, Path=/, no Domain), so a sibling host or a
// plain-HTTP page cannot plant one; the unprefixed names of before are not read.
import t, { type Test } from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';
let s: TestServer;

const setCookies = (h: Record<string, string | string[] | undefined>) => [h['set-cookie'] ?? []].flat();
const named = (h: Record<string, string | string[] | undefined>, name: string) => setCookies(h).find((c) => c.startsWith(`${name}=`));
const valueOf = (cookie: string | undefined) => cookie?.split(';')[0].slice(cookie.indexOf('=') + 1);

function hostPrefixed(t: Test, cookie: string | undefined, what: string) {
  t.ok(cookie, `${what} is set`);
  if (!cookie) return;
  t.match(cookie, /^__Host-/, `${what}: __Host- prefixed`);
  t.match(cookie, /; Path=\/(;|$)/, `${what}: Path=/ (the prefix demands it)`);
  t.match(cookie, /; Secure(;|$)/, `${what}: Secure`);
  t.notMatch(cookie, /Domain=/i, `${what}: no Domain`);
}

t.before(async () => {
  s = await startTestServer();
});
t.teardown(() => s?.close());

t.test('the language cookie is __Host- prefixed, and only that name chooses the language', async (t) => {
  const r = await s.request('/console/lang/fr?next=/console/sign-in');
  t.equal(r.status, 303);
  const cookie = setCookies(r.headers).find((c) => /lang=/.test(c));
  hostPrefixed(t, cookie, 'language cookie');
  const name = cookie!.split('=')[0];
  const fr = await s.request('/console/sign-in', { headers: { cookie: `${name}=fr`, 'accept-language': 'en' } });
  t.match(fr.text(), /<html lang="fr"/, 'the prefixed cookie chooses French');
  const planted = await s.request('/console/sign-in', { headers: { cookie: 'lang=fr', 'accept-language': 'en' } });
  t.match(planted.text(), /<html lang="en"/, 'an unprefixed lang cookie (settable by a sibling host) is not read');
});

t.test('the flash cookie is __Host- prefixed when set and when cleared, and an unprefixed one is not shown', async (t) => {
  const setup = await s.request('/console/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ code: s.server.setupCode!, username: 'olivia', password: PASSWORD, password2: PASSWORD }).toString(),
  });
  t.equal(setup.status, 303);
  const flash = setCookies(setup.headers).find((c) => /flash=/.test(c));
  hostPrefixed(t, flash, 'flash cookie');
  const session = valueOf(named(setup.headers, SESSION_COOKIE));
  t.ok(session, 'signed in');
  const flashName = flash!.split('=')[0];
  const page = await s.request('/console/', { headers: { cookie: `${SESSION_COOKIE}=${session}; ${flashName}=${valueOf(flash)}` } });
  t.equal(page.status, 200);
  t.match(page.text(), /class="flash"[^>]*>Welcome, olivia/, 'the flash is shown');
  hostPrefixed(t, named(page.headers, flashName), 'flash cookie cleared');
  t.match(named(page.headers, flashName)!, /Max-Age=0/);

  const planted = await s.request('/console/', {
    headers: { cookie: `${SESSION_COOKIE}=${session}; fenestra-flash=${encodeURIComponent('Call 555-0100 now')}` },
  });
  t.equal(planted.status, 200);
  t.notMatch(planted.text(), /555-0100/, 'an unprefixed flash cookie is not shown');
  t.notMatch(planted.text(), /class="flash"/);
});
