// Security review of console sign-in with Entra ID (issue #13), against a real server and the fake
// OpenID provider: roles come only from the claim each mapping entry names (an app role value is
// not granted by a group of that name), and ID tokens of another issuer or tenant, with another
// nonce, expired, or used twice are refused.
import crypto from 'node:crypto';
import t from 'tap';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer, PUBLIC_URL, type TestServer } from '../helpers/server.js';

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'fake-secret-' + crypto.randomBytes(12).toString('base64url');
const ownersGroup = crypto.randomUUID();
const ADMIN_ROLE = 'Fenestra.Admin';
const SESSION = '__Host-fenestra-session';

const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
const server: TestServer = await startTestServer({
  FENESTRA_CONSOLE_ENTRA_TENANT_ID: tenantId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_ID: clientId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: clientSecret,
  FENESTRA_CONSOLE_ENTRA_ROLES: `owner=${ownersGroup},admin=${ADMIN_ROLE}`,
  FENESTRA_CONSOLE_ENTRA_AUTHORITY: idp.authority,
});
t.teardown(async () => {
  await server.close();
  await idp.close();
});

/** Cookies of the console's origin, redirects followed (the provider's pages fetched as they are). */
class Browser {
  readonly cookies = new Map<string, string>();
  callback?: string;

  private keep(setCookie: string | string[] | undefined) {
    for (const line of [setCookie ?? []].flat()) {
      const pair = line.split(';')[0];
      const eq = pair.indexOf('=');
      if (/max-age=0\b/i.test(line) || pair.slice(eq + 1) === '') this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }

  async open(url: string): Promise<{ status: number; text: string }> {
    let current = new URL(url, PUBLIC_URL);
    for (let hop = 0; hop < 8; hop++) {
      let status: number;
      let location: string | undefined;
      let text: string;
      if (current.origin === PUBLIC_URL) {
        if (current.pathname.endsWith('/auth/entra/callback')) this.callback = current.toString();
        const cookie = [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
        const res = await server.request(current.pathname + current.search, { headers: cookie ? { cookie } : {} });
        this.keep(res.headers['set-cookie']);
        status = res.status;
        location = (res.headers.location as string | undefined) ?? /^0;\s*url=(.+)$/.exec(String(res.headers.refresh ?? ''))?.[1];
        text = res.text();
        if (current.pathname.endsWith('/auth/entra/callback') && status === 200) return { status, text };
      } else {
        const res = await fetch(current, { redirect: 'manual' });
        status = res.status;
        location = res.headers.get('location') ?? undefined;
        text = await res.text();
      }
      if (!location || status < 300 || status >= 400) return { status, text };
      current = new URL(location, current);
    }
    throw new Error('too many redirects');
  }
}

async function signIn(user: typeof idp.user, overrides?: Record<string, unknown>) {
  idp.user = user;
  idp.idTokenOverrides = overrides;
  try {
    const b = new Browser();
    const end = await b.open('/console/auth/entra?next=/console/');
    return { b, end, signedIn: b.cookies.has(SESSION) };
  } finally {
    idp.idTokenOverrides = undefined;
  }
}

const someone = () => ({ oid: crypto.randomUUID(), preferred_username: `u-${crypto.randomUUID().slice(0, 8)}@contoso.test` });

t.test('the mapping works through each claim it names', async (t) => {
  t.ok((await signIn({ ...someone(), groups: [ownersGroup] })).signedIn, 'a group object id in groups');
  t.ok((await signIn({ ...someone(), roles: [ADMIN_ROLE] })).signedIn, 'an app role value in roles');
});

t.test('an app role value is granted by the roles claim only, never by a group carrying that name', async (t) => {
  // Entra can emit on-premises groups by name (sAMAccountName) in `groups`: whoever names a group
  // "Fenestra.Admin" there must not become a console admin.
  const r = await signIn({ ...someone(), groups: [ADMIN_ROLE] });
  t.equal(r.end.status, 403);
  t.notOk(r.signedIn, 'no session');
  // Nor is a group object id granted through `roles`.
  const g = await signIn({ ...someone(), roles: [ownersGroup] });
  t.equal(g.end.status, 403);
  t.notOk(g.signedIn, 'no session');
});

t.test('ID tokens of another issuer or tenant, with another nonce, expired, or without a user name are refused', async (t) => {
  const other = crypto.randomUUID();
  const now = Math.floor(Date.now() / 1000);
  for (const [what, overrides] of [
    ['another tenant as issuer', { iss: `${idp.authority}/${other}/v2.0` }],
    ['another tenant id', { tid: other }],
    ['another nonce', { nonce: 'not-the-nonce' }],
    ['expired', { iat: now - 7200, nbf: now - 7200, exp: now - 3600 }],
    ['another audience', { aud: other }],
    ['no user name', { preferred_username: undefined }],
  ] as const) {
    const r = await signIn({ ...someone(), groups: [ownersGroup] }, overrides);
    t.equal(r.end.status, 502, `${what}: refused`);
    t.notOk(r.signedIn, `${what}: no session`);
  }
});

t.test('a callback used once cannot be used again, even in the same browser', async (t) => {
  const r = await signIn({ ...someone(), groups: [ownersGroup] });
  t.ok(r.signedIn);
  r.b.cookies.delete(SESSION);
  const again = await r.b.open(r.b.callback!);
  t.equal(again.status, 400, 'the pending sign-in is gone');
  t.notOk(r.b.cookies.has(SESSION));
});

t.test('too many groups for the token (overage) and no app role: refused, saying so', async (t) => {
  const r = await signIn(someone(), { hasgroups: true });
  t.equal(r.end.status, 403);
  t.match(r.end.text, /too many groups/);
  const names = await signIn(someone(), { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.example/x' } } });
  t.equal(names.end.status, 403);
  t.match(names.end.text, /too many groups/);
});

t.test("a callback link's error is shown only as an OAuth error code, never as text someone wrote", async (t) => {
  const text = 'Your account is locked. Call +1 555 0100 to unlock it';
  const b = new Browser();
  await b.open('/console/auth/entra?next=/console/');
  const r = await b.open(`/console/auth/entra/callback?error=${encodeURIComponent(text)}&error_description=x`);
  t.equal(r.status, 403);
  t.notMatch(r.text, /Call \+1 555/, 'the words are not on the page');
  const code = await b.open('/console/auth/entra/callback?error=access_denied&error_description=AADSTS50105%3A%20not%20assigned');
  t.match(code.text, /access_denied, AADSTS50105/, 'a real error code still is');
});
