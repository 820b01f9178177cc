// Console sign-in with Entra ID, end to end: a real fenestra server configured for a fake OpenID
// provider (test/helpers/fake-oidc.ts), and a small browser — an HTTP client that keeps cookies
// and follows redirects and Refresh — going from /console/auth/entra through /authorize and back.
import crypto from 'node:crypto';
import t from 'tap';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer, PUBLIC_URL, type TestServer } from '../helpers/server.js';

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'fake-secret-' + crypto.randomBytes(12).toString('base64url');
const ownersGroup = crypto.randomUUID();
const HELPDESK_ROLE = 'Fenestra.Helpdesk';
/** Ada's Entra account: one object id, so each of her sign-ins is the same administrator. */
const ADA = crypto.randomUUID();

const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
const logs: string[] = [];
const server: TestServer = await startTestServer(
  {
    FENESTRA_CONSOLE_ENTRA_TENANT_ID: tenantId,
    FENESTRA_CONSOLE_ENTRA_CLIENT_ID: clientId,
    FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: clientSecret,
    FENESTRA_CONSOLE_ENTRA_ROLES: `owner=${ownersGroup},helpdesk=${HELPDESK_ROLE}`,
    FENESTRA_CONSOLE_ENTRA_AUTHORITY: idp.authority,
  },
  { logSink: { write: (line: string) => void logs.push(line) } },
);
t.teardown(async () => {
  await server.close();
  await idp.close();
});

interface Cookie {
  value: string;
  path: string;
  attrs: string;
}

interface Hop {
  url: string;
  status: number;
  location?: string;
}

/** A browser, as far as this flow needs: cookies of the console's origin, redirects, Refresh. */
class Browser {
  readonly cookies = new Map<string, Cookie>();
  history: Hop[] = [];
  /** Sent to the console with every request (e.g. accept-language). */
  headers: Record<string, string> = {};
  /** Changes the URL before the browser goes there (a user or attacker editing it). */
  rewrite?: (url: URL) => URL;

  private cookieHeader(path: string): string {
    return [...this.cookies]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : c.path + '/') || c.path === '/')
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  private keep(setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const path = /^path=(.*)$/i.exec(attrs.find((a) => /^path=/i.test(a)) ?? '')?.[1] ?? '/';
      if (/max-age=0\b/i.test(line) || pair.slice(eq + 1) === '') this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(eq + 1), path, attrs: attrs.join('; ') });
    }
  }

  /** One request, no following. */
  async get(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const u = this.rewrite ? this.rewrite(new URL(url, PUBLIC_URL)) : new URL(url, PUBLIC_URL);
    if (u.origin === PUBLIC_URL) {
      const cookie = this.cookieHeader(u.pathname);
      const res = await server.request(u.pathname + u.search, { headers: { ...this.headers, ...(cookie ? { cookie } : {}) } });
      this.keep(res.headers['set-cookie']);
      return { status: res.status, headers: res.headers, text: res.text() };
    }
    // The identity provider's own pages: its cookies do not matter here.
    const res = await fetch(u, { redirect: 'manual' });
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
  }

  /** Goes to `url` and follows redirects and Refresh until a page stays. */
  async open(url: string): Promise<{ url: string; status: number; text: string }> {
    let current = new URL(url, PUBLIC_URL).toString();
    for (let hop = 0; hop < 12; hop++) {
      const res = await this.get(current);
      const location = res.headers.location as string | undefined;
      const refresh = /^\s*0\s*;\s*url=(.+)$/i.exec(String(res.headers.refresh ?? ''))?.[1];
      this.history.push({ url: current, status: res.status, location: location ?? refresh });
      const to = (res.status >= 300 && res.status < 400 ? location : undefined) ?? refresh;
      if (!to) return { url: current, status: res.status, text: res.text };
      current = new URL(to, current).toString();
    }
    throw new Error(`too many redirects: ${JSON.stringify(this.history)}`);
  }

  /** The administrator this browser is signed in as, by the API's /me with the session cookie. */
  async me(): Promise<{ status: number; json: any }> {
    const cookie = this.cookieHeader('/api/v1/me');
    const res = await server.request('/api/v1/me', { headers: cookie ? { cookie } : {} });
    return { status: res.status, json: res.text() ? JSON.parse(res.text()) : undefined };
  }
}

const SESSION = '__Host-fenestra-session';
const PENDING = '__Secure-fenestra-entra';

t.test('the sign-in page offers Entra ID when it is configured', async (t) => {
  const page = await new Browser().open('/console/sign-in');
  t.equal(page.status, 200);
  t.match(page.text, /href="\/console\/auth\/entra\?next=[^"]*"[^>]*>Sign in with Microsoft Entra ID</);
});

t.test('owner through a group claim: signed in, on the page asked for', async (t) => {
  idp.user = { oid: ADA, preferred_username: 'ada@contoso.test', name: 'Ada Lovelace', groups: [crypto.randomUUID(), ownersGroup] };
  const b = new Browser();
  const end = await b.open('/console/auth/entra?next=/console/devices');
  t.equal(new URL(end.url).pathname, '/console/devices', 'landed on next');
  t.equal(end.status, 200);
  // The trip: our start (303 to Entra), Entra back to the callback, the callback's page moving on.
  t.match(b.history[0], { status: 303, location: new RegExp(`^${idp.authority}/${tenantId}/oauth2/v2.0/authorize\\?`) });
  t.match(b.history[1], { status: 302, location: /^https:\/\/enterpriseenrollment\.fenestra\.test\/console\/auth\/entra\/callback\?code=/ });
  t.match(b.history[2], { status: 200, location: '/console/devices' });
  const session = b.cookies.get(SESSION);
  t.ok(session, 'session cookie set');
  t.match(session?.attrs, /HttpOnly/i);
  t.match(session?.attrs, /Secure/i);
  t.notOk(b.cookies.has(PENDING), 'the pending sign-in cookie is cleared');
  const me = await b.me();
  t.equal(me.status, 200);
  t.match(me.json, { name: 'ada@contoso.test', role: 'owner', via: 'session', admin: { username: 'ada@contoso.test', displayName: 'Ada Lovelace' } });
  const rec = idp.authorizations.at(-1)!;
  t.equal(rec.codeChallengeMethod, 'S256', 'PKCE S256');
  t.match(rec.codeChallenge, /^[A-Za-z0-9_-]{43}$/);
});

t.test('the pending sign-in cookie: sealed, HttpOnly, Secure, SameSite=Lax, 10 minutes, only for the Entra routes', async (t) => {
  const b = new Browser();
  const res = await b.get('/console/auth/entra?next=/console/');
  t.equal(res.status, 303);
  const c = b.cookies.get(PENDING)!;
  t.ok(c);
  t.equal(c.path, '/console/auth/entra');
  t.match(c.attrs, /HttpOnly/);
  t.match(c.attrs, /Secure/);
  t.match(c.attrs, /SameSite=Lax/);
  t.match(c.attrs, /Max-Age=600\b/);
  const rec = new URL(res.headers.location as string).searchParams;
  t.notOk(c.value.includes(rec.get('state')!), 'the state is not readable in the cookie');
});

t.test('helpdesk through an app role', async (t) => {
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'hd@contoso.test', name: 'Help Desk', roles: [HELPDESK_ROLE] };
  const b = new Browser();
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(new URL(end.url).pathname, '/console/');
  t.match((await b.me()).json, { name: 'hd@contoso.test', role: 'helpdesk' });
});

t.test('no mapped group or app role: refused with a page that says so, logged at warn', async (t) => {
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'eve@contoso.test', roles: ['Other.Role'], groups: [crypto.randomUUID()] };
  const b = new Browser();
  const before = logs.length;
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 403);
  t.match(end.url, /\/console\/auth\/entra\/callback\?/);
  t.match(end.text, /eve@contoso\.test/);
  t.match(end.text, /none of your groups or app roles gives a role in this console/);
  t.match(end.text, /href="\/console\/auth\/entra\?next=%2Fconsole%2F"/, 'a way to try again');
  t.notOk(b.cookies.has(SESSION), 'no session');
  const warn = logs
    .slice(before)
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === 'console sign-in with Entra ID refused');
  t.match(warn, { level: 40, reason: 'no_role' });
  const line = logs.slice(before).join('\n');
  t.notMatch(line, /eyJ[A-Za-z0-9_-]{10,}/, 'no token in the log');
  t.notMatch(line, new RegExp(b.history[1].location!.match(/code=([^&]+)/)![1]), 'nor the code');
});

t.test('a tampered state is refused; so is a callback with no sign-in started in this browser', async (t) => {
  idp.user = { oid: ADA, preferred_username: 'ada@contoso.test', groups: [ownersGroup] };
  const b = new Browser();
  b.rewrite = (u) => {
    if (u.pathname === '/console/auth/entra/callback')
      u.searchParams.set(
        'state',
        u.searchParams.get('state')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
      );
    return u;
  };
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 400);
  t.match(end.text, /did not start in this browser/);
  t.notOk(b.cookies.has(SESSION));

  // Someone else's callback link opened in a browser that started nothing.
  const other = new Browser();
  const start = await other.get('/console/auth/entra?next=/console/');
  const back = await other.get(start.headers.location as string);
  const victim = new Browser();
  const res = await victim.open(back.headers.location as string);
  t.equal(res.status, 400, 'login CSRF refused');
  t.notOk(victim.cookies.has(SESSION));
});

t.test('a wrong PKCE challenge makes the provider refuse our verifier (PKCE is sent and checked)', async (t) => {
  idp.user = { oid: ADA, preferred_username: 'ada@contoso.test', groups: [ownersGroup] };
  const b = new Browser();
  b.rewrite = (u) => {
    if (u.pathname.endsWith('/authorize')) u.searchParams.set('code_challenge', crypto.createHash('sha256').update('another verifier').digest('base64url'));
    return u;
  };
  const before = idp.tokenRefusals.length;
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 502);
  t.match(end.text, /Entra ID refused to complete the sign-in/);
  t.match(idp.tokenRefusals.slice(before), [/code_verifier does not match/]);
  t.notOk(b.cookies.has(SESSION));
});

t.test('Entra says no (access_denied): a page with its error code', async (t) => {
  idp.authorizeError = 'access_denied';
  t.teardown(() => (idp.authorizeError = undefined));
  const b = new Browser();
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 403);
  t.match(end.text, /Entra ID did not sign you in \(access_denied, AADSTS65004\)/);
  t.notOk(b.cookies.has(SESSION));
  const fr = new Browser();
  fr.headers['accept-language'] = 'fr-FR,fr;q=0.9';
  const page = await fr.open('/console/auth/entra?next=/console/');
  t.match(page.text, /<html lang="fr"/);
  t.match(page.text, /Entra ID ne vous a pas connecté \(access_denied, AADSTS65004\)/, 'in French');
});

t.test('an ID token for another audience is refused', async (t) => {
  idp.user = { oid: ADA, preferred_username: 'ada@contoso.test', groups: [ownersGroup] };
  idp.idTokenOverrides = { aud: crypto.randomUUID() };
  t.teardown(() => (idp.idTokenOverrides = undefined));
  const b = new Browser();
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 502);
  t.match(end.text, /could not be verified/);
  t.notOk(b.cookies.has(SESSION));
});

t.test('next: only a console path; anything else lands on /console/', async (t) => {
  idp.user = { oid: ADA, preferred_username: 'ada@contoso.test', groups: [ownersGroup] };
  for (const next of ['//evil.test', '//evil.test/console/', 'https://evil.test/console/', '/\\evil.test', '/api/v1/devices', '/console/../api/v1/me']) {
    const b = new Browser();
    const end = await b.open(`/console/auth/entra?next=${encodeURIComponent(next)}`);
    t.equal(end.url, `${PUBLIC_URL}/console/`, next);
  }
  const b = new Browser();
  const end = await b.open(`/console/auth/entra?next=${encodeURIComponent('/console/devices?q=ada')}`);
  t.equal(end.url, `${PUBLIC_URL}/console/devices?q=ada`, 'a console path with its query is kept');
});

t.test('another Entra account with a taken user name is refused with the service reason', async (t) => {
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', groups: [ownersGroup] };
  const b = new Browser();
  const end = await b.open('/console/auth/entra?next=/console/');
  t.equal(end.status, 409);
  t.match(end.text, /Entra ID signed you in, but fenestra refused: the user name ada@contoso\.test belongs to another administrator/);
  t.notOk(b.cookies.has(SESSION));
});
