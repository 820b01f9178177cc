// Rule 14 (MS-MDE2 §3.2) in headless chromium: the federated sign-in page Windows opens in its web
// view for "Enroll only in device management", against a real listening server and the fake Entra
// ID (its own sign-in page first, as Entra's). Both host themes and the error pages pass axe-core
// (WCAG 2.x A and AA and axe's best practices, no violation of any impact) with no CSP violation;
// the enrollment account form works from the keyboard alone, a wrong password is said in words in
// an alert the focused field points at; and both ways of signing in end with the page's POST of
// `wresult` to exactly the appru — caught as chromium starts it (the navigation it is asked for and
// the form data it builds: it cannot open ms-app://) — whose token the RST then accepts. The page
// that posts also works, and passes axe, when its script does not run. The terms-of-use page, which
// shares the theme (src/http/device-page-theme.ts), passes axe in both themes too.
import crypto from 'node:crypto';
import net from 'node:net';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import t from 'tap';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { cspViolations, launchBrowser, newSession, noBrowser, screenshot } from '../helpers/browser.js';
import { newTestDevice } from '../helpers/device.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { AUDIENCE, PUBLIC_HOST, startTestServer } from '../helpers/server.js';

type Tap = typeof t;

// Chromium on a busy machine: more than tap's default two minutes for the file.
t.setTimeout(300_000);

const A = '/EnrollmentServer/Authenticate';
const E = '/EnrollmentServer/Enrollment.svc';
const VT = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';
const APPRU = 'ms-app://s-1-15-2-1234567890-987654321-555';
const USER = { username: 'kiosk-enroller', password: 'correct horse battery' };

/** A port free now: the redirect URI Entra sends the browser back to names the server's port. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
idp.interactive = true;
const port = await freePort();
const origin = `https://${PUBLIC_HOST}:${port}`;
const s = await startTestServer({ FENESTRA_LISTEN: `127.0.0.1:${port}`, FENESTRA_PUBLIC_URL: origin, FENESTRA_ENTRA_AUTHORITY: idp.authority });
t.teardown(async () => {
  await s.close();
  await idp.close();
});
const account = await s.admin('POST', '/api/v1/enrollment-accounts', USER);
if (account.status !== 201) throw new Error(`enrollment account: ${account.status} ${JSON.stringify(account.json)}`);
const tenant = await s.admin('POST', '/api/v1/tenants', {
  tenantId,
  cloud: 'standard',
  audiences: ['https://mdm.fenestra.test'],
  appClientId: clientId,
  credential: { secret: clientSecret },
});
if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.json)}`);

const signInUrl = (query: Record<string, string> = { appru: APPRU }) => `${origin}${A}?${new URLSearchParams(query).toString()}`;

/** The RST Windows sends next, with the wresult as its DeviceEnrollmentUserToken; the subject of the certificate it gets. */
async function enrollWith(wresult: string): Promise<{ status: number; subject?: string }> {
  const dev = newTestDevice();
  const r = await s.soap(
    E,
    rstMessage(
      origin + E,
      { kind: 'entra', jwt: wresult, valueType: VT },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Full']]) },
    ),
  );
  if (r.status !== 200) return { status: r.status };
  const cert = readRstrProvisioning(r.text()).client?.base64;
  return { status: r.status, subject: cert ? new crypto.X509Certificate(Buffer.from(cert, 'base64')).subject : undefined };
}

/**
 * Every axe-core violation of WCAG 2.0–2.2 A/AA and axe's best practices, whatever its impact, and
 * every CSP violation the page reported: the list should be empty.
 */
async function a11yFindings(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const found = await page.evaluate(async () => {
    type Result = { violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[] };
    const w = window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<Result> } };
    const r = await w.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
  return [...found, ...cspViolations(page).map((c) => `CSP: ${c}`)];
}

/**
 * The form data chromium builds to submit a form, as the page's `formdata` event shows it (fired
 * for the page's own form.submit() too), told on the console. Added to a session before its pages
 * load (or evaluated in a loaded page); it watches and changes nothing.
 */
const WATCH_FORMDATA = `document.addEventListener('formdata', (e) => {
  const f = e.target;
  console.log('fenestra-formdata ' + JSON.stringify({ action: f.action, method: f.method, fields: [...e.formData].map(([k, v]) => [k, String(v)]) }));
}, true);`;

interface PostToAppru {
  /** The navigations to ms-app: chromium was asked for (DevTools' Page.frameRequestedNavigation). */
  asked: { url: string; reason: string }[];
  /** The form it submitted. */
  form: { action: string; method: string; fields: [string, string][] };
}

/**
 * Does `act`, then catches the form POST the page sends to the appru: the navigation chromium is
 * asked for (a form POST, to that URL) and the form data it submits. Chromium then holds the POST
 * behind its "Form is not secure" page (an HTTPS page posting to ms-app:, which it does not count
 * as secure; Windows' web view hands ms-app:// to Windows instead), and could not open ms-app://.
 */
async function postToAppru(page: Page, act: () => Promise<unknown>): Promise<PostToAppru> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  const asked: PostToAppru['asked'] = [];
  const navigation = new Promise<void>((resolve) =>
    cdp.on('Page.frameRequestedNavigation', (e) => {
      if (!e.url.startsWith('ms-app:')) return;
      asked.push({ url: e.url, reason: e.reason });
      resolve();
    }),
  );
  // The form that leaves the server (not the enrollment account form posted to the page before).
  const formdata = page.waitForEvent('console', (m) => m.text().startsWith('fenestra-formdata ') && !m.text().includes(`"action":"${origin}`));
  await act();
  const [message] = await Promise.all([formdata, navigation]);
  await cdp.detach();
  return { asked, form: JSON.parse(message.text().slice('fenestra-formdata '.length)) as PostToAppru['form'] };
}

/** What the POST to the appru carries, checked: its wresult. */
function wresultOf(t: Pick<Tap, 'equal' | 'same'>, posted: PostToAppru): string {
  t.same(posted.asked, [{ url: APPRU, reason: 'formSubmissionPost' }], 'chromium asked to POST a form to exactly the appru Windows gave, once');
  t.equal(posted.form.action, APPRU, "the form's action: the appru");
  t.equal(posted.form.method, 'post', 'a POST');
  t.same(
    posted.form.fields.map(([k]) => k),
    ['wresult'],
    'wresult and nothing else',
  );
  return posted.form.fields[0]?.[1] ?? '';
}

/** Presses Tab (or `key`); what has the focus now: tag#id:text or name. */
async function tabTo(page: Page, key = 'Tab'): Promise<string> {
  await page.keyboard.press(key);
  return page.evaluate(() => {
    const e = document.activeElement;
    return e ? `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}:${(e as HTMLElement).innerText || e.getAttribute('name') || ''}` : '';
  });
}

/** A browser session (newSession) whose pages tell the form data they submit. */
async function watchedSession(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const session = await newSession(browser);
  await session.context.addInitScript(WATCH_FORMDATA);
  return session;
}

const THEMES = [
  { name: 'light', headers: {}, background: 'rgb(255, 255, 255)' },
  { name: 'dark', headers: { 'cxh-host': 'FRX' }, background: 'rgb(32, 32, 32)' },
] as const;

t.test('rule 14: the sign-in page, its refusal and the error page pass axe in both themes', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  for (const theme of THEMES) {
    const { page } = await newSession(browser);
    await page.setExtraHTTPHeaders(theme.headers);

    const r = await page.goto(signInUrl({ appru: APPRU, login_hint: 'kiosk-enroller@contoso.test' }));
    t.equal(r?.status(), 200, `${theme.name}: the sign-in page`);
    t.equal(await page.locator('html').getAttribute('class'), `theme-${theme.name}`, `${theme.name}: themed`);
    t.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), theme.background, `${theme.name}: background`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to enroll this device' }).waitFor();
    await screenshot(page, `federated-sign-in-${theme.name}`);
    t.same(await a11yFindings(page), [], `${theme.name}: the sign-in page passes axe`);

    await page.getByLabel('User name').fill(USER.username);
    await page.getByLabel('Password').fill('not-the-password');
    await Promise.all([page.waitForResponse((res) => res.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('alert').waitFor();
    await screenshot(page, `federated-sign-in-refused-${theme.name}`);
    t.same(await a11yFindings(page), [], `${theme.name}: the refusal passes axe`);

    for (const [what, query] of [
      ['no appru', {}],
      ['an https appru', { appru: 'https://evil.example/' }],
    ] as const) {
      const bad = await page.goto(signInUrl(query));
      t.equal(bad?.status(), 400, `${theme.name}, ${what}: 400`);
      t.equal(await page.locator('html').getAttribute('class'), `theme-${theme.name}`, `${theme.name}, ${what}: themed`);
      await page.getByRole('heading', { level: 1, name: 'This sign-in cannot continue' }).waitFor();
      t.match(
        await page.getByRole('alert').innerText(),
        /does not carry a valid appru \(the ms-app:\/\/ address to return to\)/,
        `${theme.name}, ${what}: why, in words`,
      );
      t.equal(await page.locator('form, input').count(), 0, `${theme.name}, ${what}: nothing to submit`);
      await screenshot(page, `federated-sign-in-error-${theme.name}`);
      t.same(await a11yFindings(page), [], `${theme.name}, ${what}: the error page passes axe`);
    }
    await page.context().close();
  }
});

t.test('rule 14: the enrollment account form from the keyboard alone, a wrong password, then the POST to appru', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const { page } = await watchedSession(browser);
  await page.goto(signInUrl());
  for (const [label, id] of [
    ['User name', 'username'],
    ['Password', 'password'],
  ] as const) {
    const l = page.locator(`label[for="${id}"]`);
    t.equal(await l.innerText(), label, `${id}: a label`);
    t.ok(await l.isVisible(), `${id}: its label is visible`);
    t.equal(await page.getByLabel(label, { exact: true }).getAttribute('id'), id, `${id}: named by it`);
  }

  const tab = (key = 'Tab') => tabTo(page, key);
  const order = [await tab(), await tab(), await tab(), await tab()];
  t.same(order, ['a#entra:Sign in with Microsoft Entra ID', 'input#username:username', 'input#password:password', 'button:Sign in'], 'Tab order');
  await tab('Shift+Tab');
  await tab('Shift+Tab');
  await page.keyboard.type(USER.username);
  t.equal(await tab(), 'input#password:password');
  await page.keyboard.type('wrong-password');
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')]);

  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.equal(await alert.innerText(), 'The user name or password is not correct.', 'the refusal in words, in an alert');
  t.equal(await page.title(), 'Error: Sign in to enroll this device', 'the title says so first');
  t.equal(await page.getByLabel('User name', { exact: true }).inputValue(), USER.username, 'the user name kept');
  const focused = await page.evaluate(() => {
    const e = document.activeElement as HTMLInputElement | null;
    const described = e?.getAttribute('aria-describedby');
    return {
      id: e?.id,
      value: e?.value,
      invalid: e?.getAttribute('aria-invalid'),
      description: described ? document.getElementById(described)?.textContent : null,
    };
  });
  t.same(
    focused,
    { id: 'password', value: '', invalid: 'true', description: 'The user name or password is not correct.' },
    'the focus on the password to type again, which points at the refusal',
  );
  await screenshot(page, 'federated-sign-in-keyboard-refused');

  const wresult = wresultOf(
    t,
    await postToAppru(page, async () => {
      await page.keyboard.type(USER.password);
      await page.keyboard.press('Enter');
    }),
  );
  const enrolled = await enrollWith(wresult);
  t.equal(enrolled.status, 200, 'the RST accepts the wresult');
  t.match(enrolled.subject, new RegExp(USER.username), 'enrolled as the enrollment account');
  t.same(cspViolations(page), [], 'no CSP violation on the way');
});

t.test('rule 14: Entra ID in the browser — the provider, back, and the POST of wresult to appru', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const { page } = await watchedSession(browser);
  await page.setExtraHTTPHeaders({ 'cxh-host': 'FRX' });
  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', name: 'Ada' };
  await page.goto(signInUrl({ appru: APPRU, login_hint: 'ada@contoso.test' }));
  await page.getByRole('link', { name: 'Sign in with Microsoft Entra ID' }).click();
  // The provider's own sign-in page: the way back starts on its site.
  const cont = page.locator('#continue');
  await cont.waitFor();
  t.ok(page.url().startsWith(`${idp.authority}/${tenantId}/oauth2/v2.0/authorize?`), "at the tenant's authorize endpoint");
  const wresult = wresultOf(t, await postToAppru(page, () => cont.click()));
  t.equal(idp.authorizations.at(-1)?.codeChallengeMethod, 'S256', 'PKCE');
  const enrolled = await enrollWith(wresult);
  t.equal(enrolled.status, 200, 'the RST accepts the wresult');
  t.match(enrolled.subject, /ada@contoso\.test/, 'enrolled as the Entra user');
  const again = await enrollWith(wresult);
  t.equal(again.status, 500, 'once only');
  t.same(cspViolations(page), [], 'no CSP violation on the way');
});

t.test('rule 14: when its script does not run, the page that posts shows Continue, passes axe, and Continue posts wresult', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  for (const theme of THEMES) {
    const { context, page } = await watchedSession(browser);
    await page.setExtraHTTPHeaders(theme.headers);
    // The page that posts, as the server sent it but for its one script (a web view not running it).
    let stripped = false;
    await page.route(`${origin}${A}?*`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const sent = route.request();
      const { 'content-type': type = '', 'cxh-host': host } = sent.headers();
      const response = await s.request(sent.url(), {
        method: 'POST',
        body: sent.postData() ?? '',
        headers: { 'content-type': type, ...(host ? { 'cxh-host': host } : {}) },
      });
      const headers = Object.fromEntries(Object.entries(response.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
      const body = response.text().replace(/<script>[^<]*<\/script>/, () => {
        stripped = true;
        return '';
      });
      await route.fulfill({ status: response.status, headers, body });
    });
    await page.goto(signInUrl());
    await page.getByLabel('User name', { exact: true }).fill(USER.username);
    await page.getByLabel('Password', { exact: true }).fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Signed in' }).waitFor();
    t.ok(stripped, `${theme.name}: its script left out`);
    t.equal(await page.locator('html').getAttribute('class'), `theme-${theme.name}`, `${theme.name}: themed`);
    await screenshot(page, `federated-sign-in-signed-in-${theme.name}`);
    t.same(await a11yFindings(page), [], `${theme.name}: the page that posts passes axe`);
    const wresult = wresultOf(
      t,
      await postToAppru(page, async () => {
        t.equal(await tabTo(page), 'button:Continue', `${theme.name}: Continue, first in the tab order`);
        await page.keyboard.press('Enter');
      }),
    );
    t.equal((await enrollWith(wresult)).status, 200, `${theme.name}: the RST accepts the wresult`);
    await context.close();
  }
});

t.test('the terms-of-use page, in the same theme, passes axe in both themes', { skip: noBrowser }, async (t) => {
  // Its own server: the Entra token it needs is validated against the test server's own fake Entra.
  const s2 = await startTestServer();
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await s2.close();
  });
  const tid = await s2.connectTenant();
  const token = await s2.entra.mintToken({ tid, aud: AUDIENCE, oid: crypto.randomUUID(), upn: 'carol@contoso.com' });
  const q = new URLSearchParams({
    redirect_uri: 'ms-appx-web://Microsoft.AAD.BrokerPlugin/ToUResponse',
    'client-request-id': crypto.randomUUID(),
    'api-version': '1.0',
  });
  for (const theme of THEMES) {
    const { context, page } = await newSession(browser);
    await page.setExtraHTTPHeaders({ ...theme.headers, authorization: `Bearer ${token}` });
    const r = await page.goto(`https://${PUBLIC_HOST}:${s2.server.port}/EnrollmentServer/TermsOfUse?${q}`);
    t.equal(r?.status(), 200, `${theme.name}: the terms page`);
    t.equal(await page.locator('html').getAttribute('class'), `theme-${theme.name}`, `${theme.name}: themed`);
    t.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), theme.background, `${theme.name}: background`);
    await page.getByRole('button', { name: 'Decline' }).waitFor();
    await screenshot(page, `terms-of-use-${theme.name}`);
    t.same(await a11yFindings(page), [], `${theme.name}: the terms page passes axe`);
    await context.close();
  }
});
