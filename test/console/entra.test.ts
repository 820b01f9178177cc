// The Microsoft Azure / Entra ID page in a real browser: an owner connects a GCC High tenant — a
// refused field is marked and explained next to it, then fixed —, sees the validation step (the
// .us consent link, validation waiting plainly for the MDM application), modifies it (again a refusal on the
// field first), reads its audit trail naming them, and disconnects it with its devices revoked.
// A helpdesk administrator sees the tenants but none of the owner's forms, and the server refuses
// their posts. Screenshots and axe on each page.
import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import t from 'tap';
import { checkA11y, consoleBase, launchBrowser, noBrowser, screenshot, signedIn } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const server = await startTestServer();
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await server.close();
  });
  const base = consoleBase(server);

  /** A form post with this context's session cookie, sent from outside the browser (as a forged request would be). */
  const postForm = async (context: BrowserContext, path: string, form: Record<string, string>) => {
    const cookie = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
    return server.request(`${base}${path}`, {
      connectTo: { host: '127.0.0.1', port: server.server.adminPort ?? server.server.port },
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  };
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();

  const owner = await signedIn(browser, server, 'owner');
  t.teardown(() => owner.context.close());

  t.test('owner: connect, validate, modify, audit trail, disconnect', async (t) => {
    const { admin, page } = owner;

    await page.goto(`${base}/console/entra`);
    await page.getByRole('heading', { level: 1, name: 'Microsoft Azure / Entra ID' }).waitFor();
    t.ok(await page.getByText('No tenant is connected yet.').isVisible(), 'no tenant yet');
    await screenshot(page, 'entra-empty');
    await checkA11y(page, 'entra-empty');

    // Connect: GCC High, an http:// enrollment URL → refused on that field, the rest kept.
    await page.getByRole('radio', { name: 'GCC High' }).check();
    await page.getByLabel('Azure tenant ID').fill(tenantId);
    await page.getByLabel('Audiences').fill(`https://mdm.fenestra.test\n${clientId}`);
    await page.getByLabel('Enrollment URL (optional)').fill('http://enroll.contoso.com/start');
    await page.getByRole('button', { name: 'Connect the account' }).click();
    const enrollment = page.getByLabel('Enrollment URL (optional)');
    await page.locator('#connect-enrollmentUrl-error').waitFor();
    t.equal(await enrollment.getAttribute('aria-invalid'), 'true', 'the refused field is marked invalid');
    t.match(await page.locator('#connect-enrollmentUrl-error').textContent(), /https/, 'the reason is next to it');
    t.match(await enrollment.getAttribute('aria-describedby'), /connect-enrollmentUrl-error/, 'and tied to it');
    t.equal(await page.getByLabel('Azure tenant ID').inputValue(), tenantId, 'what was typed is kept');
    t.ok(await page.getByRole('radio', { name: 'GCC High' }).isChecked(), 'the type too');
    await screenshot(page, 'entra-connect-error');
    await checkA11y(page, 'entra-connect-error');
    t.same((await server.admin('GET', '/api/v1/tenants')).json, [], 'nothing was connected');

    // Fixed: connected, then the validation step.
    await enrollment.fill('https://enroll.contoso.com/start');
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Connect the account' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Azure tenant validation' }).waitFor();
    t.match(await page.locator('.flash').textContent(), `Tenant ${tenantId} is connected`);
    const consent = await page.locator('a.consent-url').getAttribute('href');
    t.equal(consent, `https://login.microsoftonline.us/${tenantId}/adminconsent?client_id=${clientId}`, 'GCC High: the .us consent link with the client ID');
    t.equal(await page.locator('main button, main input[type="checkbox"]').count(), 0, 'no validate control pretending to work');
    t.ok(await page.getByRole('heading', { name: 'Step 2: validate (needs the MDM application)' }).isVisible());
    t.match(await page.locator('#validate-later').textContent(), /Set its application \(client\) ID/, 'says what validation needs');
    await screenshot(page, 'entra-validate');
    await checkA11y(page, 'entra-validate');
    const api = (await server.admin('GET', `/api/v1/tenants/${tenantId}`)).json;
    t.match(api, { tenantId, cloud: 'gcc-high', audiences: ['https://mdm.fenestra.test', clientId], enrollmentUrl: 'https://enroll.contoso.com/start' });

    // The tenant page; modify: an http:// remediation URL refused on its field, then a good one.
    await page.goto(`${base}/console/entra`);
    await page.getByRole('link', { name: tenantId }).click();
    await page.getByRole('heading', { level: 1, name: `Tenant ${tenantId}` }).waitFor();
    const remediation = page.locator('#modify-remediationUrl');
    await remediation.fill('http://fix.contoso.com');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#modify-remediationUrl-error').waitFor();
    t.equal(await remediation.getAttribute('aria-invalid'), 'true');
    await checkA11y(page, 'entra-modify-error');
    await remediation.fill('https://fix.contoso.com/');
    await page.getByRole('radio', { name: 'Standard' }).check();
    await Promise.all([page.waitForURL(new RegExp(`/console/entra/${tenantId}$`)), page.getByRole('button', { name: 'Save changes' }).click()]);
    t.equal(await page.locator('.flash').textContent(), 'The tenant was changed.');
    t.match((await server.admin('GET', `/api/v1/tenants/${tenantId}`)).json, { cloud: 'standard', remediationUrl: 'https://fix.contoso.com/' });

    // The audit trail names the owner for the connection and the change.
    const trail = page.getByRole('table', { name: `Audit events of tenant ${tenantId}, newest first` });
    const rows = await trail.locator('tbody tr').allTextContents();
    t.equal(rows.length, 2, 'connect and change');
    t.match(rows[0], /tenant\.change/);
    t.match(rows[1], /tenant\.connect/);
    for (const r of rows) t.match(r, admin.username, 'each names who did it');
    await screenshot(page, 'entra-tenant');
    await checkA11y(page, 'entra-tenant');

    // Disconnect: the confirmation names the tenant; its devices revoked too.
    await page.getByRole('link', { name: 'Disconnect the account' }).click();
    await page.getByRole('heading', { level: 1, name: `Disconnect tenant ${tenantId}?` }).waitFor();
    await page.getByLabel('Also revoke the devices of this tenant').check();
    await screenshot(page, 'entra-disconnect');
    await checkA11y(page, 'entra-disconnect');
    await Promise.all([page.waitForURL(/\/console\/entra$/), page.getByRole('button', { name: `Disconnect ${tenantId}` }).click()]);
    t.match(await page.locator('.flash').textContent(), `Tenant ${tenantId} was disconnected and its devices revoked (0)`);
    t.ok(await page.getByText('No tenant is connected yet.').isVisible());
    t.equal((await server.admin('GET', `/api/v1/tenants/${tenantId}`)).status, 404, 'gone from the server');
    const audit = (await server.admin('GET', '/api/v1/audit?limit=5')).json.entries as { action: string; actor: string }[];
    t.match(audit[0], { action: 'tenant.disconnect', actor: new RegExp(admin.username) }, 'the disconnection is audited with who did it');
  });

  t.test('French: the seed documents words', async (t) => {
    const { page } = owner;
    await page.goto(`${base}/console/lang/fr?next=${encodeURIComponent('/console/entra')}`);
    await page.getByRole('heading', { level: 2, name: 'Connecter le compte' }).waitFor();
    t.ok(await page.getByLabel('ID locataire Azure').isVisible());
    t.ok(await page.getByLabel("URL d'inscription (facultatif)").isVisible());
    t.ok(await page.getByLabel('URL de correction (facultatif)').isVisible());
    await screenshot(page, 'entra-fr');
    await checkA11y(page, 'entra-fr');
    // A narrow window: the same page, nothing cut off that axe would notice.
    await page.setViewportSize({ width: 420, height: 900 });
    await screenshot(page, 'entra-fr-narrow');
    await checkA11y(page, 'entra-fr-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/console/lang/en?next=${encodeURIComponent('/console/entra')}`);
  });

  t.test('helpdesk: sees tenants, no owner forms; the server refuses their posts', async (t) => {
    const id = await server.connectTenant();
    const { page, context } = await signedIn(browser, server, 'helpdesk');
    t.teardown(() => context.close());
    await page.goto(`${base}/console/entra`);
    await page.getByRole('link', { name: id }).waitFor();
    t.equal(await page.getByRole('button', { name: 'Connect the account' }).count(), 0, 'no connect form');
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { level: 1, name: `Tenant ${id}` }).waitFor();
    t.equal(await page.getByRole('link', { name: 'Disconnect the account' }).count(), 0, 'no disconnect');
    t.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0, 'no modify');
    await screenshot(page, 'entra-tenant-helpdesk');
    await checkA11y(page, 'entra-tenant-helpdesk');
    const res = await page.goto(`${base}/console/entra/${id}/disconnect`);
    t.equal(res?.status(), 403, 'the confirmation page is refused');
    // A forged post with the session's own CSRF token: refused by role, not by a missing token.
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const post = await postForm(context, `/console/entra/${id}/disconnect`, { _csrf: csrf ?? '' });
    t.equal(post.status, 403);
    t.equal((await server.admin('GET', `/api/v1/tenants/${id}`)).status, 200, 'still connected');
  });
}
