// Security review of the console (issue #13), against a real server with forged requests rather
// than a browser: every form action refused above the role even with a valid CSRF token, CSRF on
// every body type, sign-in CSRF when a browser sends no Sec-Fetch-Site, session fixation, the
// session cookie's attributes, open redirects, escaping, the CSP, the assets route.
import t from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';
let s: TestServer;

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function req(method: string, path: string, o: { cookie?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.cookie) headers.cookie = `${SESSION_COOKIE}=${o.cookie}`;
  if (o.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded';
  const r = await s.request(path, { method, headers, body: o.body });
  return { status: r.status, headers: r.headers, text: r.text() };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const sessionOf = (r: Res) =>
  [r.headers['set-cookie']]
    .flat()
    .find((c) => c?.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1)
    .split(';')[0];

async function signIn(username: string, headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' }, cookie?: string): Promise<Res> {
  return req('POST', '/console/sign-in', { body: form({ username, password: PASSWORD, next: '/console/' }), headers, cookie });
}

async function session(username: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = sessionOf(await signIn(username));
  if (!cookie) throw new Error(`no session for ${username}`);
  const page = await req('GET', '/console/tokens', { cookie });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error(`no CSRF token on the page for ${username}`);
  return { cookie, csrf };
}

t.before(async () => {
  s = await startTestServer();
  const setup = await req('POST', '/console/setup', {
    body: form({ code: s.server.setupCode!, username: 'olivia', password: PASSWORD, password2: PASSWORD }),
    headers: { 'sec-fetch-site': 'same-origin' },
  });
  if (setup.status !== 303) throw new Error(`setup: ${setup.status}`);
  for (const [username, role] of [
    ['rita', 'read-only'],
    ['hank', 'helpdesk'],
  ]) {
    const r = await s.admin('POST', '/api/v1/admins', { username, role, password: PASSWORD });
    if (r.status !== 201) throw new Error(`create ${username}: ${r.status}`);
  }
});
t.teardown(() => s?.close());

/** Every console form action (POST) a page module registers, with placeholder ids. */
const ACTIONS = [
  '/console/groups',
  '/console/groups/g1/members',
  '/console/groups/g1/members/remove',
  '/console/groups/g1/delete',
  '/console/admins',
  '/console/admins/a1/role',
  '/console/admins/a1/disable',
  '/console/admins/a1/enable',
  '/console/admins/a1/remove',
  '/console/profiles/new',
  '/console/profiles/p1/edit',
  '/console/profiles/p1/assignments',
  '/console/profiles/p1/assignments/remove',
  '/console/profiles/p1/delete',
  '/console/entra',
  '/console/entra/00000000-0000-0000-0000-000000000001',
  '/console/entra/00000000-0000-0000-0000-000000000001/disconnect',
  '/console/enrollment-accounts',
  '/console/enrollment-accounts/delete',
  '/console/devices/d1/sync',
  '/console/devices/d1/reboot',
  '/console/devices/d1/retire',
  '/console/devices/d1/wipe',
  '/console/devices/d1/revoke',
  '/console/devices/d1/commands/c1/cancel',
];
/** Actions whose rights the service checks per object (one's own API tokens): open to every role. */
const EVERYONE = ['/console/tokens', '/console/tokens/t1/revoke'];
const HELPDESK = ['/console/devices/d1/sync', '/console/devices/d1/reboot', '/console/devices/d1/commands/c1/cancel'];

t.test('every form action above the role is refused (403) for a forged form with a valid CSRF token', async (t) => {
  const olivia = ((await s.admin('GET', '/api/v1/admins')).json as { id: string; username: string }[]).find((a) => a.username === 'olivia')!;
  const oliviaToken = (await s.admin('POST', '/api/v1/tokens', { name: 'owner script', adminId: olivia.id })).json as { token: { id: string }; secret: string };
  for (const [username, allowed] of [
    ['rita', [] as string[]],
    ['hank', HELPDESK],
  ] as const) {
    const { cookie, csrf } = await session(username);
    for (const p of ACTIONS) {
      const r = await req('POST', p, {
        cookie,
        body: form({ _csrf: csrf, name: 'x', username: 'x', role: 'owner', confirm: 'x', kind: 'device', members: 'x', member: 'x', targetId: 'x' }),
      });
      if (allowed.includes(p)) t.not(r.status, 403, `${username}: ${p} allowed (${r.status})`);
      else t.equal(r.status, 403, `${username}: ${p} refused`);
    }
    // Token forms are open to everyone; a token above the role is refused on its field.
    const up = await req('POST', EVERYONE[0], { cookie, body: form({ _csrf: csrf, name: 'up', role: 'owner' }) });
    t.equal(up.status, 400, `${username}: an owner token refused`);
    t.match(up.text, /cannot exceed/);
    const none = await req('POST', EVERYONE[1], { cookie, body: form({ _csrf: csrf }) });
    t.equal(none.status, 404, `${username}: no such token: not found`);
    const other = await req('POST', `/console/tokens/${oliviaToken.token.id}/revoke`, { cookie, body: form({ _csrf: csrf }) });
    t.equal(other.status, 404, `${username}: the owner's token: not found`);
  }
  t.equal((await s.request('/api/v1/me', { headers: { authorization: `Bearer ${oliviaToken.secret}` } })).status, 200, "the owner's token still works");
  const audit = (await s.admin('GET', '/api/v1/audit?limit=100')).json.entries as { actor: string; action: string }[];
  t.notOk(
    audit.some((e) => (e.actor === 'rita' || e.actor === 'hank') && e.action !== 'admin.sign-in'),
    'nothing they forged was done',
  );
});

t.test("CSRF: a signed-in owner's change without the token, or in another body type, is refused", async (t) => {
  const { cookie, csrf } = await session('olivia');
  const none = await req('POST', '/console/groups', { cookie, body: form({ name: 'g-no-csrf', kind: 'device' }) });
  t.equal(none.status, 403, 'urlencoded without _csrf');
  const wrong = await req('POST', '/console/groups', { cookie, body: form({ _csrf: csrf.slice(1) + 'A', name: 'g-wrong', kind: 'device' }) });
  t.equal(wrong.status, 403, 'a wrong _csrf');
  for (const type of ['text/plain', 'application/json', 'multipart/form-data; boundary=x']) {
    const body = type.startsWith('multipart')
      ? `--x\r\ncontent-disposition: form-data; name="name"\r\n\r\ng-${type.slice(0, 4)}\r\n--x--\r\n`
      : type === 'application/json'
        ? JSON.stringify({ name: 'g-json', kind: 'device' })
        : 'name=g-text&kind=device';
    const r = await req('POST', '/console/groups', { cookie, body, headers: { 'content-type': type } });
    t.ok(r.status === 415 || r.status === 403, `${type}: refused (${r.status})`);
  }
  const override = await req('POST', '/console/groups', {
    cookie,
    body: form({ name: 'g-override', kind: 'device' }),
    headers: { 'x-http-method-override': 'GET', 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(override.status, 403, 'a method override does not skip the check');
  const groups = (await s.admin('GET', '/api/v1/groups')).json as { name: string }[] | { groups: { name: string }[] };
  const names = (Array.isArray(groups) ? groups : groups.groups).map((g) => g.name);
  t.notOk(
    names.some((n) => n.startsWith('g-')),
    'no group was created',
  );
  // The API with the cookie: the same rule, whatever the body type.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
    const r = await req('POST', '/api/v1/groups', { cookie, body: `_csrf=${csrf}&name=g-api&kind=device`, headers: { 'content-type': type } });
    t.ok(r.status >= 400 && r.status !== 201, `API, ${type}: refused (${r.status})`);
  }
});

t.test('sign-in CSRF: a form from another origin is refused when the browser sends no Sec-Fetch-Site', async (t) => {
  const cross = await signIn('hank', { origin: 'https://evil.example' });
  t.equal(cross.status, 403, 'Origin of another site: refused');
  t.notOk(sessionOf(cross), 'nobody signed in');
  const same = await signIn('hank', { origin: 'https://enterpriseenrollment.fenestra.test' });
  t.equal(same.status, 303, 'our own origin: signed in');
  const none = await signIn('hank', {});
  t.equal(none.status, 303, 'no Origin and no Sec-Fetch-Site (an old browser or a script): signed in');
});

t.test('session fixation: a cookie chosen before sign-in is not the session after it', async (t) => {
  const planted = 'A'.repeat(43);
  const r = await signIn('hank', { 'sec-fetch-site': 'same-origin' }, planted);
  const got = sessionOf(r);
  t.ok(got);
  t.not(got, planted, 'a fresh session token');
  t.equal((await req('GET', '/api/v1/me', { cookie: planted })).status, 401, 'the planted value is no session');
  t.equal((await req('GET', '/api/v1/me', { cookie: got })).status, 200);
  const attrs = [r.headers['set-cookie']].flat().find((c) => c?.startsWith(`${SESSION_COOKIE}=`))!;
  t.match(attrs, /;\s*Path=\/(;|$)/);
  t.match(attrs, /;\s*Secure\b/);
  t.match(attrs, /;\s*HttpOnly\b/);
  t.match(attrs, /;\s*SameSite=Strict\b/);
  t.notMatch(attrs, /Domain=/i, 'no Domain (the __Host- prefix forbids it)');
  t.match(got!, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
});

t.test('redirects stay on the console', async (t) => {
  for (const next of ['//evil.test/', 'https://evil.test/console/', '/\\evil.test', '/\t/evil.test', '/console/../api/v1/me', 'javascript:alert(1)']) {
    const r = await req('POST', '/console/sign-in', {
      body: form({ username: 'hank', password: PASSWORD, next }),
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    t.equal(r.headers.location, '/console/', `sign-in next=${JSON.stringify(next)}`);
    const lang = await req('GET', `/console/lang/fr?next=${encodeURIComponent(next)}`);
    t.equal(lang.headers.location, '/console/', `language switch next=${JSON.stringify(next)}`);
  }
  const { cookie, csrf } = await session('hank');
  const back = await req('POST', '/console/tokens/00000000-0000-0000-0000-000000000000/revoke', { cookie, body: form({ _csrf: csrf, _back: '//evil.test/' }) });
  t.notOk(String(back.headers.location ?? '').includes('evil'), `a refusal's _back of another site is not followed (${back.status})`);
});

t.test('values are escaped on the pages; the pages carry no inline script or style', async (t) => {
  const evil = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`;
  const a = await s.admin('POST', '/api/v1/admins', { username: 'xss', displayName: evil, role: 'helpdesk' });
  t.equal(a.status, 201);
  const tok = await s.admin('POST', '/api/v1/tokens', { name: evil.slice(0, 60), adminId: a.json.id });
  t.equal(tok.status, 201);
  const { cookie } = await session('olivia');
  for (const p of [
    '/console/',
    '/console/admins',
    `/console/admins/${a.json.id}`,
    '/console/tokens',
    '/console/audit',
    '/console/devices',
    '/console/profiles',
    '/console/groups',
  ]) {
    const page = await req('GET', p, { cookie });
    t.equal(page.status, 200, p);
    t.notMatch(page.text, /<script>|<img src=x/, `${p}: nothing unescaped`);
    t.notMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, `${p}: no inline script`);
    const tags = page.text.match(/<[a-z][^>]*>/gi) ?? [];
    t.notOk(
      // Attribute values are left out: an escaped value may read "onerror=" as text.
      tags.some((tag) => /\sstyle=|^<style\b|\son[a-z]+=/i.test(tag.replace(/"[^"]*"/g, '""'))),
      `${p}: no inline style or handler`,
    );
    t.match(String(page.headers['content-security-policy']), /script-src 'self';/);
  }
});

t.test('assets: nothing outside the folder', async (t) => {
  t.equal((await req('GET', '/console/assets/console.css')).status, 200);
  for (const p of [
    '/console/assets/..%2fpackage.json',
    '/console/assets/..%2F..%2Fpackage.json',
    '/console/assets/%2e%2e',
    '/console/assets/.%2e/x',
    '/console/assets/console.css%00.js',
  ]) {
    const r = await req('GET', p);
    // '..' itself resolves to /console/ (a page, so to the sign-in page): no file either way.
    t.ok(r.status === 404 || (r.status === 303 && String(r.headers.location).startsWith('/console/sign-in')), `${p}: ${r.status}`);
    t.notMatch(r.text, /"dependencies"|at .*\.ts:\d+/, `${p}: no file, no stack`);
  }
});

t.test('password sign-in: the same answer for an unknown name and a wrong password; throttled per account', async (t) => {
  const wrong = await req('POST', '/console/sign-in', { body: form({ username: 'olivia', password: 'not the password' }) });
  const unknown = await req('POST', '/console/sign-in', { body: form({ username: 'nobody-here', password: 'not the password' }) });
  t.equal(wrong.status, 401);
  t.equal(unknown.status, 401);
  t.equal(wrong.text.replace(/olivia/g, 'U'), unknown.text.replace(/nobody-here/g, 'U'), 'the same page');
  // An account never signed in from this address (a recent success from it exempts the pair).
  t.equal((await s.admin('POST', '/api/v1/admins', { username: 'nina', role: 'read-only', password: PASSWORD })).status, 201);
  for (let i = 0; i < 5; i++) await req('POST', '/console/sign-in', { body: form({ username: 'nina', password: `guess ${i}` }) });
  const locked = await req('POST', '/console/sign-in', { body: form({ username: 'nina', password: PASSWORD }) });
  t.equal(locked.status, 429, 'the account backs off after 5 failures, even with the right password');
  t.notOk(sessionOf(locked));
  // 7 failures from this address so far; X-Forwarded-For from a peer that is no trusted proxy changes nothing.
  for (let i = 0; i < 4; i++) {
    await req('POST', '/console/sign-in', { body: form({ username: `spoof-${i}`, password: 'x' }), headers: { 'x-forwarded-for': `192.0.2.${i + 1}` } });
  }
  const spoofed = await req('POST', '/console/sign-in', { body: form({ username: 'hank', password: PASSWORD }), headers: { 'x-forwarded-for': '192.0.2.99' } });
  t.equal(spoofed.status, 429, 'the address backs off after 10 failures, whatever X-Forwarded-For says');
  t.match(spoofed.text, /from this address/);
});
