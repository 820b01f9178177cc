// The Entra ID sign-in client (identity/entra-sign-in.ts) against the fake OpenID provider, and
// its settings (config-console-entra.ts): PKCE, state, nonce, ID token checks, role mapping.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig, ConfigError } from '../../src/config.js';
import { parseEntraRoleMapping, roleFromClaims } from '../../src/identity/entra-roles.js';
import { EntraSignIn, EntraSignInError, openPending, sealPending, PENDING_TTL_MS, type PendingSignIn } from '../../src/identity/entra-sign-in.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'fake-client-secret-' + crypto.randomBytes(8).toString('hex');
const ownersGroup = crypto.randomUUID();
const REDIRECT = 'https://console.fenestra.test/console/auth/entra/callback';

const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
t.teardown(() => idp.close());

const mapping = parseEntraRoleMapping(`owner=${ownersGroup},admin=Fenestra.Admin,helpdesk=Fenestra.Helpdesk`, 'X', [])!;
const client = (over: { clientSecret?: string } = {}) =>
  new EntraSignIn({
    tenantId,
    clientId,
    clientSecret: over.clientSecret ?? clientSecret,
    authority: idp.authority,
    insecureHttp: true,
    redirectUri: REDIRECT,
    roles: mapping,
  });

/** start(), then the browser's trip through /authorize: the query Entra sends back to the callback. */
async function roundTrip(c: EntraSignIn): Promise<{ query: URLSearchParams; pending: PendingSignIn }> {
  const { url, pending } = await c.start('/console/devices', Date.now());
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location?.startsWith(REDIRECT + '?')) throw new Error(`authorize answered ${res.status} ${location}`);
  return { query: new URL(location).searchParams, pending };
}

async function refusal(p: Promise<unknown>): Promise<EntraSignInError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EntraSignInError) return err;
    throw err;
  }
  throw new Error('not refused');
}

t.test('the authorize request carries PKCE S256, state, nonce and the openid scope', async (t) => {
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', name: 'Ada Lovelace', groups: [ownersGroup.toUpperCase()] };
  const c = client();
  const { query, pending } = await roundTrip(c);
  const rec = idp.authorizations.at(-1)!;
  t.equal(rec.codeChallengeMethod, 'S256');
  t.equal(rec.codeChallenge, crypto.createHash('sha256').update(pending.verifier).digest('base64url'), 'challenge of the kept verifier');
  t.equal(rec.state, pending.state);
  t.equal(rec.nonce, pending.nonce);
  t.match(rec.scope, /\bopenid\b/);
  t.equal(rec.redirectUri, REDIRECT);
  const id = await c.finish(query, pending);
  t.same(
    id,
    { issuer: idp.issuer, subject: idp.user.oid, username: 'ada@contoso.test', displayName: 'Ada Lovelace', role: 'owner' },
    'owner by group (any case)',
  );
});

t.test('roles: app role mapped, highest wins, none mapped refused', async (t) => {
  const c = client();
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'hd@contoso.test', roles: ['Fenestra.Helpdesk'] };
  let { query, pending } = await roundTrip(c);
  t.equal((await c.finish(query, pending)).role, 'helpdesk');
  idp.user = {
    oid: crypto.randomUUID(),
    preferred_username: 'both@contoso.test',
    roles: ['Fenestra.Helpdesk', 'Fenestra.Admin'],
    groups: [crypto.randomUUID()],
  };
  ({ query, pending } = await roundTrip(c));
  t.equal((await c.finish(query, pending)).role, 'admin', 'the highest mapped role');
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'nobody@contoso.test', roles: ['fenestra.admin'], groups: [crypto.randomUUID()] };
  ({ query, pending } = await roundTrip(c));
  const e = await refusal(c.finish(query, pending));
  t.equal(e.code, 'no_role', 'app role values compare exactly');
  t.match(e.message, /nobody@contoso\.test/);
});

t.test('group overage is named', async (t) => {
  const c = client();
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'many@contoso.test' };
  idp.idTokenOverrides = { hasgroups: true };
  t.teardown(() => (idp.idTokenOverrides = undefined));
  const { query, pending } = await roundTrip(c);
  t.equal((await refusal(c.finish(query, pending))).code, 'groups_overage');
});

t.test('refusals: state, PKCE verifier, secret, error, ID token audience and nonce, code reuse', async (t) => {
  const c = client();
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', groups: [ownersGroup] };

  let { query, pending } = await roundTrip(c);
  t.equal((await refusal(c.finish(query, { ...pending, state: 'other' }))).code, 'state', 'state differs');
  t.equal((await refusal(c.finish(query, undefined))).code, 'state', 'no pending sign-in');

  ({ query, pending } = await roundTrip(c));
  const before = idp.tokenRefusals.length;
  t.equal((await refusal(c.finish(query, { ...pending, verifier: pending.verifier.replace(/^./, (x) => (x === 'a' ? 'b' : 'a')) }))).code, 'code_refused');
  t.match(idp.tokenRefusals.slice(before), [/code_verifier/], 'the provider refused the verifier: PKCE is sent');
  t.equal((await refusal(c.finish(query, pending))).code, 'code_refused', 'a code is redeemed once only');

  ({ query, pending } = await roundTrip(c));
  t.equal((await refusal(client({ clientSecret: 'wrong' }).finish(query, pending))).code, 'code_refused', 'wrong client secret');

  idp.authorizeError = 'access_denied';
  ({ query, pending } = await roundTrip(c));
  idp.authorizeError = undefined;
  const denied = await refusal(c.finish(query, pending));
  t.equal(denied.code, 'denied');
  t.equal(denied.detail, 'access_denied, AADSTS65004');
  t.notMatch(denied.message, /said no/, 'the description is not repeated');

  for (const [name, over] of [
    ['audience', { aud: crypto.randomUUID() }],
    ['nonce', { nonce: 'replayed' }],
    ['issuer', { iss: `${idp.authority}/${crypto.randomUUID()}/v2.0` }],
    ['expiry', { exp: Math.floor(Date.now() / 1000) - 3600 }],
  ] as const) {
    idp.idTokenOverrides = over;
    ({ query, pending } = await roundTrip(c));
    const e = await refusal(c.finish(query, pending));
    t.equal(e.code, 'token_invalid', name);
  }
  idp.idTokenOverrides = undefined;
});

t.test('the pending sign-in is sealed: unreadable, tamper-evident, expiring', async (t) => {
  const key = crypto.randomBytes(32);
  const p: PendingSignIn = { state: 's', nonce: 'n', verifier: 'v', next: '/console/', expires: 1_000_000 + PENDING_TTL_MS };
  const sealed = sealPending(p, key);
  t.notMatch(sealed, /"v"|verifier/, 'not readable');
  t.same(openPending(sealed, key, 1_000_000), p);
  t.equal(openPending(sealed, key, 1_000_000 + PENDING_TTL_MS), undefined, 'expired after 10 minutes');
  t.equal(openPending(sealed, crypto.randomBytes(32), 1_000_000), undefined, 'another key');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  raw[raw.length - 1] ^= 1;
  t.equal(openPending(`v1.${raw.toString('base64url')}`, key, 1_000_000), undefined, 'altered');
  t.equal(openPending('junk', key, 1_000_000), undefined);
  t.equal(openPending(undefined, key, 1_000_000), undefined);
});

t.test('discovery failure is "unavailable", and retried on the next sign-in', async (t) => {
  const c = new EntraSignIn({
    tenantId: crypto.randomUUID(),
    clientId,
    clientSecret,
    authority: idp.authority,
    insecureHttp: true,
    redirectUri: REDIRECT,
    roles: mapping,
  });
  const e = await refusal(c.start('/console/', Date.now()));
  t.equal(e.code, 'unavailable');
  t.match(e.message, /discovery/);
  const noHttp = new EntraSignIn({ tenantId, clientId, clientSecret, authority: idp.authority, insecureHttp: false, redirectUri: REDIRECT, roles: mapping });
  t.equal((await refusal(noHttp.start('/console/', Date.now()))).code, 'unavailable', 'plain HTTP refused unless allowed');
});

t.test('role mapping parser', async (t) => {
  const problems: string[] = [];
  t.equal(parseEntraRoleMapping('boss=x,admin=,helpdesk', 'R', problems), undefined);
  t.equal(problems.length, 3);
  t.match(problems[0], /"boss" is not a role/);
  const m = parseEntraRoleMapping(' owner=A , owner=B,read-only=Readers ', 'R', [])!;
  t.same(m.owner, ['A', 'B']);
  t.equal(roleFromClaims(m, { roles: ['Readers'] }), 'read-only');
  t.equal(roleFromClaims(m, { roles: 'Readers' }), undefined, 'not a list');
  const empty: string[] = [];
  parseEntraRoleMapping(' , ', 'R', empty);
  t.match(empty, [/at least one/]);
});

const base = { FENESTRA_ENV: 'test', FENESTRA_DATA_DIR: '/tmp/x', FENESTRA_PUBLIC_URL: 'https://mdm.contoso.test' };
const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};
const full = {
  FENESTRA_CONSOLE_ENTRA_TENANT_ID: tenantId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_ID: clientId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: clientSecret,
  FENESTRA_CONSOLE_ENTRA_ROLES: `owner=${ownersGroup}`,
};

t.test('config: all or none, named; cloud; authority; redirect URI', async (t) => {
  t.equal(loadConfig(base).consoleEntra, undefined, 'off by default');
  const cfg = loadConfig({ ...base, ...full }).consoleEntra!;
  t.equal(cfg.authority, 'https://login.microsoftonline.com');
  t.equal(cfg.redirectUri, 'https://mdm.contoso.test/console/auth/entra/callback', 'under the public URL');
  t.equal(cfg.insecureHttp, false);
  t.equal(loadConfig({ ...base, ...full, FENESTRA_CONSOLE_ENTRA_CLOUD: 'gcc-high' }).consoleEntra!.authority, 'https://login.microsoftonline.us');

  const { FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: _s, ...noSecret } = full;
  const p = problemsOf(noSecret);
  t.equal(p.length, 1);
  t.match(p[0], /FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET missing/);
  t.notMatch(p.join(), clientSecret);
  t.match(problemsOf({ FENESTRA_CONSOLE_ENTRA_CLOUD: 'gcc-high' }), [/set but console sign-in with Entra ID is off/]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_TENANT_ID: 'contoso.onmicrosoft.com' }), [/TENANT_ID must be the directory \(tenant\) id/]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_CLOUD: 'china' }), [/must be standard or gcc-high/]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_ROLES: 'root=x' }), [/"root" is not a role/]);
  t.same(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_AUTHORITY: 'http://127.0.0.1:1' }), [], 'http authority with FENESTRA_ENV=test');
  t.match(problemsOf({ ...full, FENESTRA_ENV: 'development', FENESTRA_CONSOLE_ENTRA_AUTHORITY: 'http://127.0.0.1:1' }), [
    /https:\/\/ \(http:\/\/ only with FENESTRA_ENV=test\)/,
  ]);
  t.match(problemsOf({ ...full, FENESTRA_ADMIN_LISTEN: '127.0.0.1:9443' }), [/FENESTRA_CONSOLE_ENTRA_REDIRECT_URI is required with FENESTRA_ADMIN_LISTEN/]);
  t.same(
    problemsOf({
      ...full,
      FENESTRA_ADMIN_LISTEN: '127.0.0.1:9443',
      FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: 'https://admin.contoso.test:9443/console/auth/entra/callback',
    }),
    [],
  );
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: 'https://admin.contoso.test/elsewhere' }), [
    /must end with \/console\/auth\/entra\/callback/,
  ]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: 'not a url' }), [/REDIRECT_URI="not a url" is not an http\(s\) URL/]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_AUTHORITY: 'ftp://x' }), [/AUTHORITY="ftp:\/\/x" is not an http\(s\) URL/]);
  t.match(problemsOf({ ...full, FENESTRA_CONSOLE_ENTRA_CLIENT_ID: 'fenestra-console' }), [
    /CLIENT_ID must be the app registration's application \(client\) id/,
  ]);
  t.ok(
    problemsOf({ ...full, FENESTRA_ENV: 'production', FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: 'http://admin.contoso.test/console/auth/entra/callback' }).includes(
      'FENESTRA_CONSOLE_ENTRA_REDIRECT_URI must use https:// in production',
    ),
  );
  const secretFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'entra-secret-')), 'secret');
  fs.writeFileSync(secretFile, clientSecret + '\n');
  t.teardown(() => fs.rmSync(path.dirname(secretFile), { recursive: true, force: true }));
  const fromFile = loadConfig({ ...base, ...full, FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: undefined, FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET_FILE: secretFile });
  t.equal(fromFile.consoleEntra?.clientSecret, clientSecret, 'the secret from its _FILE');
});
