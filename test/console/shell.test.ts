// The console's frame, against a real server: security headers on every response, assets
// (compressed, cached, nothing outside their folder), sign-in redirects, CSRF and size limits on
// forms; then in headless chromium the first owner's set-up through the printed link, sign-in
// (wrong password, then right), sign-out, the French switch, a read-only administrator's view,
// with a screenshot and an axe-core run per page.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import { setupLink } from '../../src/service/admins/setup.js';
import { consoleBase, createAdmin, launchBrowser, look, newSession, noBrowser, screenshot, signedIn, signedInAs } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';

type Tap = typeof t;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// Chromium on a busy machine: more than tap's default two minutes for the file.
t.setTimeout(300_000);
const s = await startTestServer();
t.teardown(() => s.close());
const base = consoleBase(s);
const get = (p: string, headers: Record<string, string> = {}) => s.request(base + p, { headers });
const post = (p: string, body: string, headers: Record<string, string> = {}) =>
  s.request(base + p, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

function secured(t: Pick<Tap, 'equal'>, r: { headers: Record<string, unknown> }, what: string) {
  t.equal(r.headers['content-security-policy'], CSP, `${what}: strict CSP`);
  t.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  t.equal(r.headers['referrer-policy'], 'no-referrer', `${what}: no referrer`);
  t.equal(r.headers['x-frame-options'], 'DENY', `${what}: no framing`);
}

/** Signs in over HTTPS (the sign-in form); the session cookie header to send. */
async function sessionCookie(username: string, password: string): Promise<string> {
  const r = await post('/console/sign-in', new URLSearchParams({ username, password, next: '/console/' }).toString());
  t.equal(r.status, 303, 'signed in');
  const set = ([] as string[]).concat(r.headers['set-cookie'] as string[]);
  const c = set.find((x) => x.startsWith('__Host-fenestra-session='));
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0];
}

t.test('every console response carries the security headers; pages are not cached', async (t) => {
  const page = await get('/console/');
  t.equal(page.status, 303, 'not signed in: to the sign-in page');
  t.equal(page.headers.location, '/console/sign-in?next=%2Fconsole%2F', 'coming back to the page asked for');
  secured(t, page, 'redirect');
  const signIn = await get('/console/sign-in');
  t.equal(signIn.status, 200);
  t.match(signIn.headers['content-type'], /^text\/html; charset=utf-8/);
  t.equal(signIn.headers['cache-control'], 'no-store', 'pages: no-store');
  secured(t, signIn, 'sign-in page');
  t.notMatch(signIn.text(), /style="|<script>|\son[a-z]+="/i, 'no inline style, script or event handler');
  const missing = await get('/console/no-such-page');
  t.equal(missing.status, 404);
  t.match(missing.headers['content-type'], /^text\/html/);
  t.match(missing.text(), /Page not found/);
  secured(t, missing, '404 page');
  const deep = await get('/console/devices?cursor=x&q=a');
  t.equal(deep.headers.location, '/console/sign-in?next=%2Fconsole%2Fdevices%3Fcursor%3Dx%26q%3Da', 'the query string comes back too');
});

t.test('assets: compressed, validated by ETag, cached for good at their versioned URL, nothing else served', async (t) => {
  const css = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'console', 'assets', 'console.css'));
  const br = await get('/console/assets/console.css', { 'accept-encoding': 'gzip, deflate, br' });
  t.equal(br.status, 200);
  t.equal(br.headers['content-encoding'], 'br');
  t.match(br.headers['content-type'], /^text\/css/);
  t.same(zlib.brotliDecompressSync(br.body), css, 'brotli of the file');
  t.ok(br.body.length < css.length / 3, `compressed (${br.body.length} of ${css.length} bytes)`);
  t.equal(br.headers['cache-control'], 'no-cache', 'unversioned URL: revalidated');
  secured(t, br, 'asset');
  const gz = await get('/console/assets/console.css', { 'accept-encoding': 'gzip' });
  t.same(zlib.gunzipSync(gz.body), css, 'gzip for a client without brotli');
  const plain = await get('/console/assets/console.css');
  t.same(plain.body, css, 'identity when nothing is accepted');
  const etag = String(br.headers.etag);
  t.match(etag, /^"[A-Za-z0-9_-]+"$/);
  const again = await get('/console/assets/console.css', { 'if-none-match': etag });
  t.equal(again.status, 304, 'unchanged: 304');
  t.equal(again.body.length, 0);
  const page = (await get('/console/sign-in')).text();
  const url = /href="(\/console\/assets\/console\.css\?v=[^"]+)"/.exec(page)?.[1];
  t.ok(url, 'pages link the versioned URL');
  const versioned = await get(url!);
  t.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
  for (const p of [
    '/console/assets/nope.css',
    '/console/assets/..%2F..%2Fpackage.json',
    '/console/assets/%2e%2e%2fpackage.json',
    '/console/assets/../../package.json',
    '/console/assets/console.css%00.js',
    '/console/assets/',
  ]) {
    const r = await get(p);
    t.equal(r.status, 404, `${p}: 404`);
    t.notMatch(r.text(), /"name": "fenestra"/, `${p}: nothing outside the folder`);
  }
});

t.test('in the browser', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());

  await t.test('first owner set-up through the printed link, then the link no longer works', async (t) => {
    t.ok(s.server.setupCode, 'the server issued a set-up code at start');
    const link = setupLink(base, s.server.setupCode!);
    const { context, page } = await newSession(browser);
    t.teardown(() => context.close());
    await page.goto(link);
    t.equal(await page.locator('h1').textContent(), 'Create the first owner');
    await look(page, 'setup');
    await page.getByLabel('User name').fill('olivia');
    await page.getByLabel('Display name (optional)').fill('Olivia Owner');
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await page.getByLabel('Password again').fill('correct horse battery stapler');
    await page.getByRole('button', { name: 'Create the owner and sign in' }).click();
    await page.waitForSelector('#f-password2-error');
    t.equal(await page.locator('#f-password2-error').textContent(), 'The two passwords differ.', 'the mismatch is shown next to the field');
    t.equal(await page.getByLabel('Password again').getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByLabel('User name').inputValue(), 'olivia', 'what was typed is kept');
    await look(page, 'setup-error');
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await page.getByLabel('Password again').fill('correct horse battery staple');
    await Promise.all([page.waitForURL(`${base}/console/`), page.getByRole('button', { name: 'Create the owner and sign in' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Welcome, Olivia Owner/);
    t.match(await page.locator('.who').textContent(), /olivia\s+owner/);
    await look(page, 'dashboard-first');

    const { context: other, page: again } = await newSession(browser);
    t.teardown(() => other.close());
    const r = await again.goto(link);
    t.equal(r?.status(), 410, 'the set-up link is spent');
    t.match(await again.locator('main').textContent(), /no longer works/);
    t.equal(await again.locator('form').count(), 0, 'no form');
    await screenshot(again, 'setup-spent');
  });

  await t.test('sign-in (wrong password, then right), sign-out', async (t) => {
    const { context, page } = await newSession(browser);
    t.teardown(() => context.close());
    await page.goto(`${base}/console/devices`);
    t.match(page.url(), /\/console\/sign-in\?next=%2Fconsole%2Fdevices$/, 'to the sign-in page');
    await look(page, 'sign-in');
    await page.getByLabel('User name').fill('olivia');
    await page.getByLabel('Password').fill('not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('.form-errors');
    t.equal((await page.locator('.form-errors').textContent())?.trim(), 'Wrong user name or password.');
    t.equal(await page.getByLabel('User name').inputValue(), 'olivia', 'the user name stays');
    await look(page, 'sign-in-error');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await Promise.all([page.waitForURL(`${base}/console/devices`), page.getByRole('button', { name: 'Sign in' }).click()]);
    t.equal(await page.locator('h1').textContent(), 'Devices', 'back to the page first asked for');
    await Promise.all([page.waitForURL(`${base}/console/sign-in`), page.getByRole('button', { name: 'Sign out' }).click()]);
    t.equal((await page.locator('.flash').textContent())?.trim(), 'You are signed out.');
    await page.goto(`${base}/console/`);
    t.match(page.url(), /\/console\/sign-in/, 'signed out for good');
  });

  await t.test('French', async (t) => {
    const { context, page } = await signedIn(browser, s, 'admin');
    t.teardown(() => context.close());
    await Promise.all([page.waitForURL(`${base}/console/`), page.getByRole('link', { name: 'Français' }).click()]);
    t.equal(await page.locator('html').getAttribute('lang'), 'fr');
    t.equal(await page.locator('h1').textContent(), 'Tableau de bord');
    t.ok(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible());
    await look(page, 'dashboard-fr');
    await page.goto(`${base}/console/devices`);
    t.equal(await page.locator('h1').textContent(), 'Appareils', 'the choice stays (lang cookie)');
    await screenshot(page, 'devices-fr');
    await Promise.all([page.waitForURL(`${base}/console/devices`), page.getByRole('link', { name: 'English' }).click()]);
    t.equal(await page.locator('h1').textContent(), 'Devices');
  });

  await t.test('a read-only administrator: no action, no page above the role', async (t) => {
    const { context, page } = await signedIn(browser, s, 'read-only');
    t.teardown(() => context.close());
    t.match(await page.locator('.who').textContent(), /read-only/);
    const nav = await page.locator('nav.side a').allTextContents();
    t.ok(nav.includes('Devices') && nav.includes('Dashboard'), 'what the role reads is in the navigation');
    t.notOk(nav.includes('Audit log') || nav.includes('Administrators') || nav.includes('Enrollment accounts'), 'what it may not read is not');
    t.same(await page.locator('main button, main form[method="post"]').count(), 0, 'dashboard: no action');
    await page.goto(`${base}/console/devices`);
    t.same(await page.locator('main form[method="post"]').count(), 0, 'device list: no action form');
    t.same(await page.locator('main button').allTextContents(), ['Apply'], 'device list: only the filter button');
    const r = await page.goto(`${base}/console/audit`);
    t.equal(r?.status(), 403, 'a page above the role: 403');
    t.match(await page.locator('main').textContent(), /Your role \(read-only\) does not allow/);
    await look(page, 'forbidden');
    // Signed in (the sign-in page is the subtest above's), on the dashboard, in a narrow window.
    const narrow = await signedInAs(browser, s, { username: 'olivia', password: 'correct horse battery staple' }, { width: 420 });
    t.teardown(() => narrow.context.close());
    await look(narrow.page, 'dashboard-narrow');
  });
});

t.test('forms: CSRF token, same-site sign-in, size limit', async (t) => {
  const admin = await createAdmin(s, 'helpdesk');
  const cross = await post('/console/sign-in', new URLSearchParams({ username: admin.username, password: admin.password }).toString(), {
    'sec-fetch-site': 'cross-site',
  });
  t.equal(cross.status, 403, 'a sign-in form posted from another site is refused');
  t.notOk(cross.headers['set-cookie'], 'and signs nobody in');
  const wrong = await post('/console/sign-in', new URLSearchParams({ username: admin.username, password: 'not the password at all' }).toString());
  t.equal(wrong.status, 401);
  t.match(wrong.text(), /Wrong user name or password/);
  const cookie = await sessionCookie(admin.username, admin.password);
  const signedInPage = await get('/console/', { cookie });
  t.equal(signedInPage.status, 200, 'the session cookie opens the dashboard');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(signedInPage.text())?.[1];
  t.ok(csrf, 'the page carries the CSRF token');
  const noToken = await post('/console/sign-out', '', { cookie });
  t.equal(noToken.status, 403, 'sign-out without the CSRF token: refused');
  t.equal((await get('/console/', { cookie })).status, 200, 'still signed in');
  const tooBig = await post('/console/sign-out', `_csrf=${csrf}&pad=${'x'.repeat(300 * 1024)}`, { cookie });
  t.equal(tooBig.status, 413, 'a form over the limit: 413');
  t.match(tooBig.text(), /larger than/);
  secured(t, tooBig, 'error page');
  const json = await s.request(base + '/console/sign-out', { method: 'POST', body: '{}', headers: { cookie, 'content-type': 'application/json' } });
  t.equal(json.status, 403, 'not a form: refused');
  const out = await post('/console/sign-out', `_csrf=${encodeURIComponent(csrf!)}`, { cookie });
  t.equal(out.status, 303);
  t.equal(out.headers.location, '/console/sign-in');
  t.equal((await get('/console/', { cookie })).status, 303, 'signed out: the cookie no longer works');
});
