// Cross-site request forgery against the admin API routes of session 8 with a console session
// cookie (what a page on another site could make the administrator's browser send): the package
// upload (raw body, its own content-type parser), a vendor URL, an ESP policy, branding. Without
// the session's CSRF token, or with a wrong one, each is refused 403 before anything happens —
// also as text/plain, the type a cross-site form or a no-cors fetch can send — and the audit log
// is unchanged; with the token the same calls go through (so the refusal is the CSRF check's).
import t from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { startTestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';

t.test('session-8 admin routes refuse forged requests from a console session', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/admins', { username: 'ada', role: 'admin', password: PASSWORD })).status, 201);
  const signIn = await s.request('/console/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ username: 'ada', password: PASSWORD, next: '/console/' }).toString(),
  });
  const cookie = [signIn.headers['set-cookie']]
    .flat()
    .find((c) => c?.startsWith(`${SESSION_COOKIE}=`))
    ?.split(';')[0];
  t.ok(cookie, 'signed in');
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await s.request('/console/tokens', { headers: { cookie: cookie! } })).text())?.[1];
  t.ok(csrf, 'the session has a CSRF token');
  const audit = async () => JSON.stringify((await s.admin('GET', '/api/v1/audit?limit=5')).json);
  const before = await audit();

  const calls: [string, string, string, string][] = [
    ['POST', '/api/v1/apps/packages?fileName=x.msi', 'application/octet-stream', 'not a package'],
    ['POST', '/api/v1/apps/public', 'application/json', JSON.stringify({ url: 'https://vendor.example/a.msi', sha256: 'a'.repeat(64) })],
    ['POST', '/api/v1/esp-policies', 'application/json', JSON.stringify({ name: 'forged', target: { type: 'all' }, requiredProfileIds: [] })],
    ['PUT', '/api/v1/settings/branding', 'application/json', JSON.stringify({ helpPhoneNumber: '555 0199' })],
  ];
  for (const [method, path, type, body] of calls) {
    for (const [what, extra] of [
      ['no token', {}],
      ['a wrong token', { 'x-csrf-token': 'A'.repeat(csrf!.length) }],
      ['text/plain, no token', { 'content-type': 'text/plain' }],
      ['the token in the query', {}],
    ] as const) {
      const url = what === 'the token in the query' ? `${path}${path.includes('?') ? '&' : '?'}_csrf=${csrf}` : path;
      const r = await s.request(url, { method, headers: { cookie: cookie!, 'content-type': type, ...extra }, body });
      t.equal(r.status, 403, `${method} ${path} with ${what}: 403`);
    }
  }
  t.equal(await audit(), before, 'nothing changed');
  const ok = await s.request('/api/v1/settings/branding', {
    method: 'PUT',
    headers: { cookie: cookie!, 'content-type': 'application/json', 'x-csrf-token': csrf! },
    body: JSON.stringify({ helpPhoneNumber: '555 0199' }),
  });
  t.equal(ok.status, 200, 'with the token: accepted');
});
