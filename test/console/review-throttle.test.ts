// Security review (issue #13): the console's password sign-in throttles by the client's address
// as the device routes see it. Behind a trusted TLS-terminating proxy (FENESTRA_TRUSTED_PROXIES),
// that is the address the proxy forwards, not the proxy's own (or one guesser locks every
// administrator out); an IPv6 client is one /64 (it cannot rotate addresses to escape).
import t from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';
let s: TestServer;

t.before(async () => {
  s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  for (const username of ['vera', 'walt']) {
    const r = await s.admin('POST', '/api/v1/admins', { username, role: 'read-only', password: PASSWORD });
    if (r.status !== 201) throw new Error(`create ${username}: ${r.status}`);
  }
});
t.teardown(() => s?.close());

async function signIn(from: string, username: string, password: string) {
  const r = await s.request('/console/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    body: new URLSearchParams({ username, password, next: '/console/' }).toString(),
  });
  const signedIn = [r.headers['set-cookie']].flat().some((c) => c?.startsWith(`${SESSION_COOKIE}=`));
  return { status: r.status, signedIn };
}

t.test('a guesser behind the proxy is held back; another client of the same proxy still signs in', async (t) => {
  // Ten failures are free per address; each spread over accounts so no account backs off.
  for (let i = 0; i < 11; i++) await signIn('203.0.113.7', `nobody-${i}`, 'a wrong guess');
  t.equal((await signIn('203.0.113.7', 'nobody-x', 'a wrong guess')).status, 429, 'the guessing address backs off');
  const other = await signIn('198.51.100.2', 'vera', PASSWORD);
  t.equal(other.status, 303, 'another client, same proxy: signed in');
  t.ok(other.signedIn);
});

t.test('an IPv6 guesser is one /64: changing the interface id does not reset its back-off', async (t) => {
  for (let i = 1; i <= 11; i++) await signIn(`2001:db8:1:2::${i.toString(16)}`, `ghost-${i}`, 'a wrong guess');
  t.equal((await signIn('2001:db8:1:2:abcd::99', 'walt', PASSWORD)).status, 429, 'same /64: throttled');
  t.equal((await signIn('2001:db8:1:3::1', 'walt', PASSWORD)).status, 303, 'another /64: signed in');
});
