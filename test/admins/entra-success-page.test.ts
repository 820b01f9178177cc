// Review of issue #13, the console's Entra ID sign-in: the page the callback answers (which moves
// on by itself) offers language links to the page asked for, never back to the callback URL with
// its used code and state; and behind a trusted proxy the sign-in is audited with the client's
// address as every route counts it (client-address.ts), not the proxy's.
import crypto from 'node:crypto';
import t from 'tap';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer } from '../helpers/server.js';

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'fake-secret-' + crypto.randomBytes(12).toString('base64url');
const owners = crypto.randomUUID();

t.test('the success page links to a clean URL, and the sign-in is audited with the forwarded client', async (t) => {
  const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
  const s = await startTestServer({
    FENESTRA_CONSOLE_ENTRA_TENANT_ID: tenantId,
    FENESTRA_CONSOLE_ENTRA_CLIENT_ID: clientId,
    FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: clientSecret,
    FENESTRA_CONSOLE_ENTRA_ROLES: `owner=${owners}`,
    FENESTRA_CONSOLE_ENTRA_AUTHORITY: idp.authority,
    FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32',
    FENESTRA_PROXY_CERT_FORMAT: 'nginx',
  });
  t.teardown(async () => {
    await s.close();
    await idp.close();
  });
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', name: 'Ada', groups: [owners] };
  const forwarded = { 'x-forwarded-for': '203.0.113.44' };

  const start = await s.request('/console/auth/entra?next=/console/devices', { headers: forwarded });
  t.equal(start.status, 303);
  const pending = [start.headers['set-cookie']].flat().find((c) => c?.startsWith('__Secure-fenestra-entra='))!;
  const back = await fetch(String(start.headers.location), { redirect: 'manual' });
  const callback = new URL(back.headers.get('location')!);
  t.match(callback.search, /code=/, 'Entra comes back with a code');

  const page = await s.request(callback.pathname + callback.search, { headers: { ...forwarded, cookie: pending.split(';')[0] } });
  t.equal(page.status, 200);
  const html = page.text();
  const langLinks = [...html.matchAll(/href="(\/console\/lang\/[^"]*)"/g)].map((m) => m[1].replaceAll('&amp;', '&'));
  t.ok(langLinks.length > 0, 'the page has a language switch');
  for (const href of langLinks) {
    const next = new URL(href, 'https://x').searchParams.get('next') ?? '';
    t.equal(next, '/console/devices', `${href} leads on to the page asked for`);
    t.notMatch(decodeURIComponent(href), /code=|state=|callback/, 'no used code, state or callback in it');
  }

  const entries = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries as { action: string; detail?: { ip?: string; via?: string } }[];
  t.match(
    entries.find((e) => e.action === 'admin.sign-in'),
    { detail: { via: 'external', ip: '203.0.113.44' } },
    'the sign-in names the client the trusted proxy forwards',
  );
});
