// Console sign-in with Entra ID in headless chromium, against the fake OpenID provider showing a
// sign-in page of its own (so the way back starts from the provider's site, as with Entra): from a
// console page, to the sign-in page, "Sign in with Microsoft Entra ID", the provider, and back
// signed in on the page asked for — which needs the callback to move on by a page of ours rather
// than a redirect, or the browser withholds the SameSite=Strict session cookie. Then a refusal
// page. Screenshots and axe-core per page.
import crypto from 'node:crypto';
import net from 'node:net';
import t from 'tap';
import { checkA11y, consoleBase, launchBrowser, newSession, noBrowser, screenshot } from '../helpers/browser.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { PUBLIC_HOST, startTestServer } from '../helpers/server.js';

t.setTimeout(300_000);

/** A port free now: the redirect URI registered with the provider must name the server's port before it starts. */
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
const clientSecret = 'fake-secret-' + crypto.randomBytes(12).toString('base64url');
const ownersGroup = crypto.randomUUID();

const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
idp.interactive = true;
const port = await freePort();
const server = await startTestServer({
  FENESTRA_LISTEN: `127.0.0.1:${port}`,
  FENESTRA_CONSOLE_ENTRA_TENANT_ID: tenantId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_ID: clientId,
  FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: clientSecret,
  FENESTRA_CONSOLE_ENTRA_ROLES: `owner=${ownersGroup}`,
  FENESTRA_CONSOLE_ENTRA_AUTHORITY: idp.authority,
  FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: `https://${PUBLIC_HOST}:${port}/console/auth/entra/callback`,
});
t.teardown(async () => {
  await server.close();
  await idp.close();
});
const base = consoleBase(server);

t.test('from a console page through Entra ID and back, signed in', { skip: noBrowser }, async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());

  idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', name: 'Ada Lovelace', groups: [ownersGroup] };
  const { page } = await newSession(browser);
  await page.goto(`${base}/console/devices`);
  await page.waitForURL(/\/console\/sign-in\?next=%2Fconsole%2Fdevices$/);
  const button = page.getByRole('link', { name: 'Sign in with Microsoft Entra ID' });
  await button.waitFor();
  await screenshot(page, 'entra-sign-in-page');
  await checkA11y(page, 'sign-in page with Entra ID');
  await button.click();
  // The provider's own sign-in page: the way back starts on its site.
  await page.locator('#continue').click();
  await page.waitForURL(`${base}/console/devices`);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  t.match(await page.locator('header .who').innerText(), /ada@contoso\.test/, 'signed in as the Entra account');
  await screenshot(page, 'entra-signed-in');

  idp.user = { oid: crypto.randomUUID(), preferred_username: 'eve@contoso.test', groups: [crypto.randomUUID()] };
  const other = await newSession(browser);
  await other.page.goto(`${base}/console/auth/entra?next=/console/`);
  await other.page.locator('#continue').click();
  await other.page.getByRole('heading', { level: 1, name: 'Sign-in with Entra ID failed' }).waitFor();
  t.match(await other.page.getByRole('alert').innerText(), /eve@contoso\.test.*none of your groups or app roles/s);
  await screenshot(other.page, 'entra-sign-in-refused');
  await checkA11y(other.page, 'Entra sign-in refused');
  await other.page.getByRole('link', { name: 'Sign in with a user name and password' }).click();
  await other.page.waitForURL(/\/console\/sign-in/);
});
