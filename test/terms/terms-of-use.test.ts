import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EntraValidator, type EntraTenant } from '../../src/identity/entra.js';
import { verifyOpaqueBlob, sealHmac } from '../../src/identity/opaque-blob.js';
import { termsOfUseRoutes } from '../../src/http/terms-of-use.js';
import { escapeHtml } from '../../src/http/terms-of-use-page.js';
import { appendQuery, checkRedirectUri, type TermsOfUseDeps } from '../../src/service/enrollment/terms-of-use.js';
import { startFakeEntra, type FakeEntra } from '../helpers/entra.js';

const TID = '11111111-1111-4111-8111-111111111111';
const TID_UNKNOWN = '99999999-9999-4999-8999-999999999999';
const APP_URI = 'https://mdm.example.com';
const RU = 'ms-appx-web://Microsoft.AAD.BrokerPlugin/ToUResponse';
const CRID = '6f1c1d2e-0000-4000-8000-123456789abc';
const PATH = '/EnrollmentServer/TermsOfUse';
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action ms-appx-web: ms-aadj-redir: 'self'";

const tenants: Record<string, EntraTenant> = { [TID]: { tenantId: TID, cloud: 'standard', audiences: [APP_URI] } };
const secret = randomBytes(32);
let clock = Date.now();

let entra: FakeEntra;
let app: FastifyInstance;
let base: string;

async function startApp(deps: TermsOfUseDeps): Promise<{ app: FastifyInstance; base: string }> {
  const a = Fastify();
  await a.register(termsOfUseRoutes, { deps });
  await a.listen({ port: 0, host: '127.0.0.1' });
  return { app: a, base: `http://127.0.0.1:${(a.server.address() as AddressInfo).port}` };
}

t.before(async () => {
  entra = await startFakeEntra();
  const validator = new EntraValidator({ lookupTenant: async (tid) => tenants[tid], authorityOverride: entra.authority });
  ({ app, base } = await startApp({ validator, blobSecret: secret, now: () => clock }));
});
t.teardown(async () => {
  await app.close();
  await entra.close();
});

function touUrl(params: Record<string, string | undefined>, origin = base): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  return `${origin}${PATH}?${q.toString()}`;
}

const defaults = { redirect_uri: RU, 'client-request-id': CRID, 'api-version': '1.0' };

async function token(extra: Partial<Parameters<FakeEntra['mintToken']>[0]> = {}): Promise<string> {
  return entra.mintToken({ tid: TID, aud: APP_URI, oid: 'user-oid-1', upn: 'alice@contoso.com', version: 'v1', ...extra });
}

async function getPage(params: Record<string, string | undefined> = {}, headers: Record<string, string> = {}, origin = base) {
  const auth: Record<string, string> = 'authorization' in headers ? {} : { authorization: `Bearer ${await token()}` };
  return fetch(touUrl({ ...defaults, ...params }, origin), { redirect: 'manual', headers: { ...auth, ...headers } });
}

function stateOf(html: string): string {
  const m = /name="state" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no state in page');
  return m[1];
}

async function post(body: string, contentType = 'application/x-www-form-urlencoded') {
  return fetch(`${base}${PATH}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': contentType }, body });
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Parse a Location header (ms-appx-web URIs parse with WHATWG URL). */
function loc(res: Response): URL {
  const l = res.headers.get('location');
  if (!l) throw new Error(`no Location (status ${res.status})`);
  return new URL(l);
}

function checkSecurityHeaders(t: Tap, res: Response) {
  t.equal(res.headers.get('content-security-policy'), CSP);
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.equal(res.headers.get('cache-control'), 'no-store');
}
type Tap = Pick<typeof t, 'equal'>;

t.test('page, OOBE (FRX) dark theme, BYOD mode shows Accept and Decline', async (t) => {
  const res = await getPage({}, { 'cxh-host': 'FRX' });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  checkSecurityHeaders(t, res);
  const html = await res.text();
  t.match(html, /^<!DOCTYPE html>/);
  t.match(html, /<html lang="en" class="theme-dark">/);
  t.match(html, /color-scheme:dark/);
  t.match(html, /<title>Terms of use<\/title>/);
  t.match(html, /<h1 id="tou-title">Terms of use<\/h1>/);
  t.match(html, /<main id="main"/);
  t.match(html, /<form method="post"/);
  t.match(html, /<button type="submit" class="primary" name="decision" value="accept">Accept<\/button>/);
  t.match(html, /<button type="submit" class="secondary" name="decision" value="decline">Decline<\/button>/);
  t.match(html, /:focus-visible\{outline:3px solid/);
  t.match(html, /Signed in as <strong>alice@contoso\.com<\/strong>/);
  t.notMatch(html, /<script/i, 'no JavaScript');
  t.notMatch(html, /type="password"|name="password"/i, 'never collects credentials');
});

t.test('page, Settings (MOSET) and unknown hosts are light', async (t) => {
  for (const host of ['MOSET', 'something-else', undefined]) {
    const res = await getPage({}, host ? { 'cxh-host': host } : {});
    t.equal(res.status, 200);
    const html = await res.text();
    t.match(html, /class="theme-light"/, String(host));
    t.match(html, /color-scheme:light/);
  }
});

t.test('azureadjoin mode: no Decline button', async (t) => {
  const res = await getPage({ mode: 'azureadjoin' }, { 'cxh-host': 'FRX' });
  t.equal(res.status, 200);
  const html = await res.text();
  t.match(html, /value="accept">Accept</);
  t.notMatch(html, /Decline/);
  t.notMatch(html, /value="decline"/);
});

t.test('Accept: redirect with a verifiable OpaqueBlob bound to the token identity', async (t) => {
  const page = await getPage({ mode: 'azureadjoin' });
  const state = stateOf(await page.text());
  const res = await post(form({ state, decision: 'accept' }));
  t.equal(res.status, 302);
  checkSecurityHeaders(t, res);
  const location = res.headers.get('location')!;
  t.ok(location.startsWith(`${RU}?IsAccepted=true&OpaqueBlob=`), location);
  const u = loc(res);
  t.equal(u.searchParams.get('IsAccepted'), 'true');
  t.equal(u.searchParams.get('client-request-id'), CRID);
  const blob = u.searchParams.get('OpaqueBlob')!;
  const payload = verifyOpaqueBlob(blob, secret, clock);
  t.equal(payload.tid, TID);
  t.equal(payload.oid, 'user-oid-1');
  t.equal(payload.upn, 'alice@contoso.com');
  t.equal(payload.acceptedAt, clock);
  t.ok(payload.exp > clock);
  t.throws(() => verifyOpaqueBlob(blob, randomBytes(32), clock), 'bound to our secret');
  t.throws(() => verifyOpaqueBlob(state, secret, clock), 'the page state is not an OpaqueBlob');
});

t.test('Decline (BYOD): IsAccepted=false, no blob', async (t) => {
  const state = stateOf(await (await getPage()).text());
  const res = await post(form({ state, decision: 'decline' }));
  t.equal(res.status, 302);
  t.equal(res.headers.get('location'), `${RU}?IsAccepted=false&client-request-id=${CRID}`);
});

t.test('forged Decline in azureadjoin mode is refused', async (t) => {
  const state = stateOf(await (await getPage({ mode: 'azureadjoin' })).text());
  const res = await post(form({ state, decision: 'decline' }));
  t.equal(res.status, 400);
  t.equal(res.headers.get('location'), null);
  checkSecurityHeaders(t, res);
  const bogus = await post(form({ state, decision: 'maybe' }));
  t.equal(bogus.status, 400, 'unknown decision');
  const none = await post(form({ state }));
  t.equal(none.status, 400, 'no decision');
});

t.test('redirect targets other than ms-appx-web:// / ms-aadj-redir:// are never redirected to', async (t) => {
  const bad = [
    'https://evil.example.com/cb',
    'http://evil.example.com/',
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)//ms-appx-web://x',
    'ms-appx-web:javascript:alert(1)',
    'ms-appx-web:/x',
    '//evil.example.com',
    'data:text/html,hi',
    '',
    undefined,
    'ms-appx-web://x/ y',
    'ms-appx-web://x/\u00e9',
    `ms-appx-web://x/${'a'.repeat(3000)}`,
  ];
  for (const ru of bad) {
    const res = await getPage({ redirect_uri: ru });
    t.equal(res.status, 400, `refused ${JSON.stringify(ru)?.slice(0, 50)}`);
    t.equal(res.headers.get('location'), null, 'no Location');
    t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const body = await res.text();
    t.notMatch(body, /evil|javascript:/i, 'target not echoed');
  }
  // Even with a bad token and a bad version, a bad target is a 400 (checked first).
  const res = await getPage({ redirect_uri: 'https://evil.example.com/', 'api-version': '9' }, { authorization: '' });
  t.equal(res.status, 400);
  // Repeated redirect_uri: ambiguous, refused.
  const dup = await fetch(`${touUrl(defaults)}&redirect_uri=${encodeURIComponent('https://evil.example.com/')}`, {
    redirect: 'manual',
    headers: { authorization: `Bearer ${await token()}` },
  });
  t.equal(dup.status, 400, 'duplicate redirect_uri');
  t.equal(dup.headers.get('location'), null);
});

t.test('ms-aadj-redir:// works; existing query and fragment handled', async (t) => {
  const res = await getPage({ redirect_uri: 'ms-aadj-redir://auth/mdm?x=1#frag' });
  const state = stateOf(await res.text());
  const r = await post(form({ state, decision: 'decline' }));
  t.equal(r.headers.get('location'), `ms-aadj-redir://auth/mdm?x=1&IsAccepted=false&client-request-id=${CRID}#frag`);
  t.equal(appendQuery('ms-appx-web://a/b?', [['k', 'v w&']]), 'ms-appx-web://a/b?k=v%20w%26');
  t.equal(appendQuery('ms-appx-web://a/b', []), 'ms-appx-web://a/b');
  t.equal(checkRedirectUri('MS-APPX-WEB://A/B'), 'MS-APPX-WEB://A/B', 'scheme is case-insensitive');
  t.equal(escapeHtml(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
});

t.test('api-version must be 1.0', async (t) => {
  for (const v of ['2.0', '', undefined]) {
    const res = await getPage({ 'api-version': v });
    t.equal(res.status, 302, String(v));
    checkSecurityHeaders(t, res);
    const u = loc(res);
    t.equal(`${u.protocol}//${u.host}${u.pathname}`, RU);
    t.equal(u.searchParams.get('error'), 'invalid_request');
    t.equal(u.searchParams.get('error_description'), 'unsupported version');
    t.equal(u.searchParams.get('client-request-id'), CRID);
    t.notOk(u.searchParams.has('IsAccepted'));
  }
  const noCrid = await getPage({ 'api-version': '2.0', 'client-request-id': undefined });
  t.equal(noCrid.headers.get('location'), `${RU}?error=invalid_request&error_description=unsupported%20version`);
});

t.test('missing or invalid token -> unauthorized_client', async (t) => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no header', { authorization: '' }, 'unauthorized_client'],
    ['not bearer', { authorization: 'Basic dXNlcjpwYXNz' }, 'unauthorized_client'],
    ['garbage', { authorization: 'Bearer not.a.jwt' }, 'unauthorized_client'],
    ['expired', { authorization: `Bearer ${await token({ expiresInSec: -3600 })}` }, 'unauthorized_client'],
    ['wrong audience', { authorization: `Bearer ${await token({ aud: 'https://other' })}` }, 'unauthorized_client'],
    ['HS256', { authorization: `Bearer ${await token({ alg: 'HS256' })}` }, 'unauthorized_client'],
  ];
  for (const [name, headers, desc] of cases) {
    const res = await getPage({}, headers);
    t.equal(res.status, 302, name);
    const u = loc(res);
    t.equal(u.searchParams.get('error'), 'unauthorized_client', name);
    t.equal(u.searchParams.get('error_description'), desc, name);
    t.equal(u.searchParams.get('client-request-id'), CRID, name);
  }
  const unknown = await getPage({}, { authorization: `Bearer ${await token({ tid: TID_UNKNOWN })}` });
  const u = loc(unknown);
  t.equal(u.searchParams.get('error'), 'unauthorized_client', 'tenant not connected');
  t.equal(u.searchParams.get('error_description'), 'unauthorized user or tenant');
  const noOid = await getPage({}, { authorization: `Bearer ${await token({ omit: ['oid'] })}` });
  t.equal(loc(noOid).searchParams.get('error'), 'unauthorized_client', 'no oid');
});

t.test('key endpoint unavailable -> server_error', async (t) => {
  const dead = await startFakeEntra();
  const authority = dead.authority;
  const tok = await dead.mintToken({ tid: TID, aud: APP_URI });
  await dead.close();
  const validator = new EntraValidator({ lookupTenant: async (tid) => tenants[tid], authorityOverride: authority, fetchTimeoutMs: 500 });
  const other = await startApp({ validator, blobSecret: secret });
  t.teardown(() => other.app.close());
  const res = await getPage({}, { authorization: `Bearer ${tok}` }, other.base);
  t.equal(res.status, 302);
  const u = loc(res);
  t.equal(u.searchParams.get('error'), 'server_error');
  t.equal(u.searchParams.get('error_description'), 'internal service error');
  t.equal(u.searchParams.get('client-request-id'), CRID);
});

t.test('state: tampered, foreign, missing, expired', async (t) => {
  const state = stateOf(await (await getPage({ mode: 'azureadjoin' })).text());
  const [body, mac] = state.split('.');
  const decoded = JSON.parse(Buffer.from(body, 'base64url').toString());
  // Attacker flips the mode to allow Decline, or retargets the redirect, or swaps the user.
  for (const change of [{ mode: 'workaccount' }, { ru: 'ms-appx-web://evil/cb' }, { oid: 'someone-else' }, { exp: clock + 10 ** 9 }]) {
    const forged = `${Buffer.from(JSON.stringify({ ...decoded, ...change })).toString('base64url')}.${mac}`;
    const res = await post(form({ state: forged, decision: 'accept' }));
    t.equal(res.status, 400, JSON.stringify(change));
    t.equal(res.headers.get('location'), null);
  }
  const otherSecret = sealHmac('tou-page-state', decoded, randomBytes(32));
  t.equal((await post(form({ state: otherSecret, decision: 'accept' }))).status, 400, 'sealed with another secret');
  t.equal((await post(form({ state: 'garbage', decision: 'accept' }))).status, 400, 'garbage');
  t.equal((await post(form({ decision: 'accept' }))).status, 400, 'missing');
  t.equal((await post(form({ state, decision: 'accept' }) + `&state=${encodeURIComponent(state)}`)).status, 400, 'repeated state field');
  const emptyPost = await fetch(`${base}${PATH}`, { method: 'POST', redirect: 'manual' });
  t.equal(emptyPost.status, 400, 'no body at all');

  // A valid state that has expired: its target is trustworthy, so Windows gets an error redirect.
  const saved = clock;
  clock += 31 * 60 * 1000;
  t.teardown(() => {
    clock = saved;
  });
  const expired = await post(form({ state, decision: 'accept' }));
  t.equal(expired.status, 302);
  const u = loc(expired);
  t.equal(u.searchParams.get('error'), 'unauthorized_client');
  t.equal(u.searchParams.get('client-request-id'), CRID);
  t.notOk(u.searchParams.has('OpaqueBlob'));
});

t.test('oversized POST -> 413', async (t) => {
  const state = stateOf(await (await getPage()).text());
  const res = await post(form({ state, decision: 'accept', pad: 'x'.repeat(9000) }));
  t.equal(res.status, 413);
  t.equal(res.headers.get('location'), null);
  checkSecurityHeaders(t, res);
  t.match(await res.text(), /too large/);
});

t.test('wrong content type -> 415', async (t) => {
  const state = stateOf(await (await getPage()).text());
  for (const ct of ['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
    const res = await post(ct === 'application/json' ? JSON.stringify({ state, decision: 'accept' }) : form({ state, decision: 'accept' }), ct);
    t.equal(res.status, 415, ct);
    t.equal(res.headers.get('location'), null);
    t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    t.match(await res.text(), /application\/x-www-form-urlencoded/);
  }
  const withCharset = await post(form({ state, decision: 'accept' }), 'application/x-www-form-urlencoded; charset=UTF-8');
  t.equal(withCharset.status, 302, 'charset parameter accepted');
});

t.test('HTML escaping of hostile values', async (t) => {
  const hostileUpn = `<img src=x onerror=alert(1)>"'&amp;@contoso.com`;
  const res = await getPage({}, { authorization: `Bearer ${await token({ upn: hostileUpn })}` });
  t.equal(res.status, 200);
  const html = await res.text();
  t.notMatch(html, /<img/);
  t.match(html, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;amp;@contoso\.com/);
  t.notMatch(html, /<script/i);

  // A redirect_uri carrying markup is refused and not reflected.
  const hostileRu = `ms-appx-web://x/"><script>alert(1)</script>`;
  const bad = await getPage({ redirect_uri: hostileRu });
  t.equal(bad.status, 400);
  const body = await bad.text();
  t.notMatch(body, /<script/i);
  t.notMatch(body, /alert\(/);

  // Markup-ish but RFC 3986-legal target and request id: only ever inside the sealed state / encoded query.
  const trickyRu = `ms-appx-web://x/cb?a='onmouseover=alert(1)//`;
  const trickyCrid = `"><b>x</b>`;
  const ok = await getPage({ redirect_uri: trickyRu, 'client-request-id': trickyCrid });
  t.equal(ok.status, 200);
  const okHtml = await ok.text();
  t.notMatch(okHtml, /onmouseover|<b>/);
  const r = await post(form({ state: stateOf(okHtml), decision: 'decline' }));
  t.equal(r.headers.get('location'), `${trickyRu}&IsAccepted=false&client-request-id=${encodeURIComponent(trickyCrid)}`);
});

t.test('custom terms text; page title escaped', async (t) => {
  const validator = new EntraValidator({ lookupTenant: async (tid) => tenants[tid], authorityOverride: entra.authority });
  const other = await startApp({ validator, blobSecret: secret, termsText: { title: 'Contoso <IT> terms', bodyHtml: '<p>Be <em>nice</em>.</p>' } });
  t.teardown(() => other.app.close());
  const html = await (await getPage({}, {}, other.base)).text();
  t.match(html, /<title>Contoso &lt;IT&gt; terms<\/title>/);
  t.match(html, /<p>Be <em>nice<\/em>\.<\/p>/);
});

t.test('HEAD and unrelated paths are not ours to break', async (t) => {
  const res = await fetch(`${base}/EnrollmentServer/Other`, { redirect: 'manual' });
  t.equal(res.status, 404);
});

t.test('encapsulated: parsers and error handler do not leak to sibling routes', async (t) => {
  const validator = new EntraValidator({ lookupTenant: async (tid) => tenants[tid], authorityOverride: entra.authority });
  const a = Fastify();
  await a.register(termsOfUseRoutes, { deps: { validator, blobSecret: secret } });
  a.post('/json', async (req) => ({ got: req.body }));
  await a.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => a.close());
  const origin = `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
  const res = await fetch(`${origin}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  t.equal(res.status, 200);
  t.same(await res.json(), { got: { a: 1 } });
  t.equal(res.headers.get('content-security-policy'), null, 'security headers only on ToU routes');
  const noType = await fetch(`${origin}${PATH}`, { method: 'POST', redirect: 'manual', body: new Uint8Array([1, 2, 3]) });
  t.equal(noType.status, 415, 'body without a content type');
});
