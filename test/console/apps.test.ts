// The console's Apps pages in a real browser (#15): an admin uploads an MSI built at test time
// with wixl through the page (the file streamed by apps-upload.js to the admin API; a file that is
// not a package refused on the file field), sees its ProductCode read from the package, uploads a
// second version and makes it live, deploys the app to a user, and sees each device and user's
// status (from a simulated device's check-in, and the installing and failed states as the
// reconciler writes them) on the app page and on the device page; a public package and an Office
// configuration refused on the fields they name; unassign. A helpdesk administrator sees the
// pages without forms, and changes forged with their session's CSRF token — console forms and the
// API upload — are refused by the server (403). Screenshots and axe on each page, in English and
// French.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { AUDIENCE } from '../helpers/server.js';
import { buildMsi, buildMsix, noWixl } from '../helpers/packages.js';
import { entraSimDevice } from '../helpers/sim-device.js';

if (noBrowser || noWixl) {
  t.plan(0, noBrowser ?? noWixl);
} else {
  // A browser, a server, a device and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-console-apps-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const upgradeCode = `{${crypto.randomUUID().toUpperCase()}}`;
  const v1 = await buildMsi(dir, { name: 'Contoso Notes', version: '1.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
  const v2 = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
  const junk = path.join(dir, 'notes.msi');
  fs.writeFileSync(junk, 'this is not an installer package\n'.repeat(100));

  /** A request from inside the page (same origin, its cookies): a forged form post, or the upload the script sends. */
  const fromPage = (p: Page, url: string, form: Record<string, string>) =>
    p.evaluate(async ({ url, form }) => (await fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' })).status, { url, form });
  const apps = async () => {
    const { json } = await server.admin('GET', '/api/v1/apps');
    return (Array.isArray(json) ? json : json.apps) as { id: string; name: string; liveVersionId?: string }[];
  };

  let appId = '';

  t.test('admin: upload, versions, live, deploy, status; refusals on their fields', async (t) => {
    const { page, context } = await signedIn('admin', { at: '/console/apps' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    t.equal(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Apps' }).getAttribute('aria-current'), 'page');
    t.ok(await page.getByText('No app yet.').isVisible());
    await look(page, 'apps-empty');

    await page.getByRole('link', { name: 'Add an app' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add an app' }).waitFor();
    await look(page, 'apps-new');

    // No file chosen: said on the field, nothing sent.
    const upload = page.locator('#upload-title').locator('..');
    await upload.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#upload-file-error').waitFor();
    t.equal(await page.locator('#upload-file-error').textContent(), 'Choose a package file.');

    // Not a package: the service's 422, on the file field.
    await page.getByLabel('Package file').first().setInputFiles(junk);
    await upload.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#upload-file-error', { hasText: 'The upload failed' }).waitFor();
    t.equal(await page.getByLabel('Package file').first().getAttribute('aria-invalid'), 'true');
    t.match(await page.getByLabel('Package file').first().getAttribute('aria-describedby'), /upload-file-error/);
    await look(page, 'apps-upload-refused');
    t.same(await apps(), [], 'nothing was added');

    // The MSI: streamed to the API, then the app's page says what was read from it.
    await page.getByLabel('Package file').first().setInputFiles(v1.file);
    await Promise.all([page.waitForURL(/\/console\/apps\/[0-9a-f-]{36}\?added=/), upload.getByRole('button', { name: 'Upload' }).click()]);
    appId = new URL(page.url()).pathname.split('/').pop() as string;
    await page.getByRole('heading', { level: 1, name: 'Contoso Notes' }).waitFor();
    t.equal(await page.locator('.flash').textContent(), 'Version 1.0.0 of Contoso Notes was read from the package.');
    t.equal(await page.locator('[data-fact="productCode"] dd').textContent(), v1.productCode, "the ProductCode read from the package (msiinfo's)");
    t.equal(await page.locator('[data-fact="upgradeCode"] dd').textContent(), upgradeCode);
    t.equal(await page.locator('[data-fact="manufacturer"] dd').textContent(), 'Contoso Ltd');
    t.equal(await page.locator('[data-fact="live"]').textContent(), '1.0.0', 'the first version is live');
    t.equal(await page.locator('[data-fact="sha256"] dd').textContent(), v1.sha256);
    await look(page, 'apps-app-v1');

    // A second version, uploaded on the app's page: not live until made so.
    await page.getByLabel('Package file').setInputFiles(v2.file);
    await Promise.all([page.waitForURL(/\?added=/), page.getByRole('button', { name: 'Upload' }).click()]);
    await page.getByText('Version 2.0.0 of Contoso Notes was read from the package.').waitFor();
    t.equal(await page.locator('[data-fact="live"]').textContent(), '1.0.0');
    t.equal(await page.locator('#h-versions').locator('..').locator('tbody tr').count(), 2);
    await page.getByRole('button', { name: 'Make live (version 2.0.0)' }).click();
    await page.getByText('Version 2.0.0 is live').waitFor();
    t.equal(await page.locator('[data-fact="live"]').textContent(), '2.0.0');
    t.equal(await page.locator('[data-fact="productCode"] dd').textContent(), v2.productCode, "the live version's ProductCode");
    const api = (await server.admin('GET', `/api/v1/apps/${appId}`)).json;
    t.equal(api.versions.find((v: { id: string }) => v.id === api.liveVersionId)?.version, '2.0.0', 'live in the catalog too');

    // Deploy: a user that is no UPN refused on its field (what was typed kept), then alice.
    await page.getByRole('radio', { name: 'User', exact: true }).check();
    await page.getByRole('textbox', { name: 'User, device or Entra group' }).fill('not a user');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.locator('#deploy-targetId-error').waitFor();
    t.equal(await page.getByRole('textbox', { name: 'User, device or Entra group' }).inputValue(), 'not a user');
    await look(page, 'apps-deploy-refused');
    await page.getByRole('textbox', { name: 'User, device or Entra group' }).fill('alice@contoso.com');
    await page.getByRole('radio', { name: 'the user’s session' }).check();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText('Deployed to User alice@contoso.com (install).').waitFor();
    t.equal(await page.locator('[data-deployment="user:alice@contoso.com:install"]').count(), 1);
    t.ok(await page.getByText('No device has been told').isVisible());

    // A simulated Entra-joined PC where alice signs in: its check-in plans the app for her.
    const tid = await server.connectTenant();
    const oid = crypto.randomUUID();
    const dev = entraSimDevice(server, tid, { upn: 'alice@contoso.com', oid });
    await dev.enroll();
    const deviceId = (await server.admin('GET', '/api/v1/devices')).json.devices.find((d: { deviceId: string }) => d.deviceId === dev.deviceId).id as string;
    const alice = { token: await server.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid }) };
    // Sessions until the install is followed to its end (the simulator installs as Windows does, across sessions).
    const statuses = async () =>
      ((await server.admin('GET', `/api/v1/apps/${appId}/status`)).json as { deliveries: { status: string }[] }[]).flatMap((p) =>
        p.deliveries.map((d) => d.status),
      );
    for (let i = 0; i < 4 && (await statuses()).join() !== 'verified'; i++) t.equal((await dev.checkin({ user: alice })).outcome, 'complete');
    t.same(await statuses(), ['verified'], 'installed on the device, in her session');
    await page.reload();
    const statusRows = page.locator('#h-status').locator('..').locator('tbody tr');
    t.equal(await statusRows.count(), 1, "alice's delivery on the device");
    t.equal(await statusRows.locator(`a[href="/console/devices/${deviceId}"]`).count(), 1);
    t.equal(await statusRows.filter({ hasText: 'alice@contoso.com' }).locator('[data-state]').getAttribute('data-state'), 'installed');
    t.match(await statusRows.filter({ hasText: 'alice@contoso.com' }).textContent(), /installed\s+enforcement completed \(70\)/);

    // The states as the reconciler writes them: installing (the stage the device reported) and failed (its LastError).
    const deployment = (await server.admin('GET', `/api/v1/apps/${appId}`)).json.deployments[0] as { profileId: string; version: number };
    const at = new Date().toISOString();
    const row = { devicePk: deviceId, profileId: deployment.profileId, version: deployment.version, updatedAt: at };
    await server.server.store.deliveries.put([
      { ...row, userKey: '11111111-1111-4111-8111-111111111111', upn: 'bob@contoso.com', status: 'delivered', detail: 'download in progress (20)' },
      {
        ...row,
        userKey: '22222222-2222-4222-8222-222222222222',
        upn: 'carol@contoso.com',
        status: 'failed',
        detail: 'enforcement failed (60): LastError 0x80070643 Fatal error during installation.',
      },
    ]);
    await page.reload();
    const stateOf = async (upn: string) => statusRows.filter({ hasText: upn }).locator('[data-state]').getAttribute('data-state');
    t.equal(await stateOf('bob@contoso.com'), 'installing');
    t.match(await statusRows.filter({ hasText: 'bob@contoso.com' }).textContent(), /installing\s+download in progress \(20\)/);
    t.equal(await stateOf('carol@contoso.com'), 'failed');
    t.match(
      await statusRows.filter({ hasText: 'carol@contoso.com' }).textContent(),
      /enforcement failed \(60\): LastError 0x80070643 Fatal error during installation\./,
    );
    await look(page, 'apps-app-status');

    // The list: live version, two versions, the summary.
    await page.goto(`${base}/console/apps`);
    const listRow = page.getByRole('row', { name: /Contoso Notes/ });
    t.match(await listRow.textContent(), /MSI\s+Contoso Ltd\s+2\.0\.0\s+2/);
    t.equal(await listRow.locator('[data-count="installed"]').textContent(), '1');
    t.equal(await listRow.locator('[data-count="installing"]').textContent(), '1');
    t.equal(await listRow.locator('[data-count="failed"]').textContent(), '1');
    await look(page, 'apps-list');

    // The device page: its apps per user, and what the device reports installed after an inventory refresh.
    t.equal((await server.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'sync' })).status, 201);
    t.equal((await dev.checkin({ user: alice })).outcome, 'complete');
    await page.goto(`${base}/console/devices/${deviceId}`);
    const deviceApps = page.locator('#h-apps').locator('..');
    t.equal(await deviceApps.locator('tbody tr').filter({ hasText: 'alice@contoso.com' }).locator('[data-state]').getAttribute('data-state'), 'installed');
    t.equal(await deviceApps.locator('tbody tr').filter({ hasText: 'carol@contoso.com' }).locator('[data-state]').getAttribute('data-state'), 'failed');
    t.equal(await deviceApps.getByRole('link', { name: 'Contoso Notes' }).first().getAttribute('href'), `/console/apps/${appId}`);
    const installed = deviceApps.locator(`[data-installed="${v2.productCode}"]`).locator('..');
    t.match(await installed.textContent(), /alice@contoso\.com\s+Contoso Notes\s+2\.0\.0\s+Contoso Ltd\s+MSI/, 'reported installed in her tree');
    await look(page, 'apps-device');

    // Refusals of the other two ways to add an app, on their fields.
    await page.goto(`${base}/console/apps/new`);
    await page.getByRole('textbox', { name: 'HTTPS URL' }).fill('http://vendor.example/notes.msi');
    await page.getByRole('textbox', { name: 'SHA-256' }).fill('abc');
    await page.getByRole('button', { name: 'Fetch and add' }).click();
    await page.locator('#public-url-error, #public-sha256-error').first().waitFor();
    t.equal(await page.getByRole('textbox', { name: 'HTTPS URL' }).inputValue(), 'http://vendor.example/notes.msi', 'what was typed is kept');
    await page.getByRole('textbox', { name: 'Configuration XML' }).fill('<Configuration><Remove/></Configuration>');
    await page.getByRole('button', { name: 'Add Microsoft 365 Apps' }).click();
    await page.locator('#office-configurationXml-error').waitFor();
    t.match(await page.locator('#office-configurationXml-error').textContent(), /Add/);
    await look(page, 'apps-new-refused');

    // Without the page's script the upload form posts to the console, which says why it cannot take the file.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    t.equal(await fromPage(page, `${base}/console/apps/upload`, { _csrf: csrf, file: 'notes.msi' }), 400);

    // In French: the add page and the app page with their forms.
    await page.goto(`${base}/console/lang/fr?next=${encodeURIComponent(`/console/apps/${appId}`)}`);
    await page.getByRole('heading', { level: 2, name: 'Lu dans le paquet (2.0.0)' }).waitFor();
    await page.getByRole('button', { name: 'Mettre en service (version 1.0.0)' }).waitFor();
    await look(page, 'apps-app-fr');
    await page.goto(`${base}/console/apps/new`);
    await page.getByRole('heading', { level: 1, name: 'Ajouter une application' }).waitFor();
    await look(page, 'apps-new-fr');
    await page.goto(`${base}/console/lang/en?next=${encodeURIComponent(`/console/apps/${appId}`)}`);

    // Unassign: the deployment goes.
    await page.goto(`${base}/console/apps/${appId}`);
    await page.getByRole('button', { name: 'Unassign User alice@contoso.com (install)' }).click();
    await page.getByText('The deployment to User alice@contoso.com was removed.').waitFor();
    t.ok(await page.getByText('Deployed to nobody.').isVisible());
  });

  t.test('helpdesk: the pages without forms, in French; forged changes refused by the server', async (t) => {
    const { page, context } = await signedIn('helpdesk', { at: '/console/apps', lang: 'fr' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    t.equal(await page.getByRole('link', { name: 'Ajouter une application' }).count(), 0);
    await look(page, 'apps-list-helpdesk-fr');
    await page.getByRole('link', { name: 'Contoso Notes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contoso Notes' }).waitFor();
    t.equal(await page.locator('form[action^="/console/apps"]').count(), 0, 'no forms on the app page');
    t.ok(await page.getByText('Lu dans le paquet (2.0.0)').isVisible());
    await look(page, 'apps-app-helpdesk-fr');

    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const before = await apps();
    const v1Id = ((await server.admin('GET', `/api/v1/apps/${appId}`)).json.versions as { id: string; version: string }[]).find(
      (v) => v.version === '1.0.0',
    )!.id;
    t.equal(await fromPage(page, `${base}/console/apps/${appId}/live`, { _csrf: csrf, versionId: v1Id }), 403, 'make live refused');
    t.equal(await fromPage(page, `${base}/console/apps/${appId}/deployments`, { _csrf: csrf, targetType: 'all', intent: 'install' }), 403, 'deploy refused');
    t.equal(await fromPage(page, `${base}/console/apps/${appId}/delete`, { _csrf: csrf, force: '1' }), 403, 'delete refused');
    t.equal(await fromPage(page, `${base}/console/apps/office`, { _csrf: csrf, name: 'x', configurationXml: '<Configuration><Add/></Configuration>' }), 403);
    // The upload the script would send, with the session's CSRF token: refused by the API.
    const status = await page.evaluate(
      async ({ url, csrf }) =>
        (await fetch(url, { method: 'POST', body: new Blob(['x']), headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': csrf } })).status,
      { url: `${base}/api/v1/apps/packages?fileName=x.msi`, csrf },
    );
    t.equal(status, 403, 'upload refused');
    t.same(await apps(), before, 'nothing changed');
    const res = await page.goto(`${base}/console/apps/new`);
    t.equal(res?.status(), 403);
  });

  t.test('admin: a version deleted, another app’s package refused on the app page, the app deleted', async (t) => {
    const { page, context } = await signedIn('admin', { at: `/console/apps/${appId}` });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Contoso Notes' }).waitFor();

    // A package of another app (another UpgradeCode) uploaded as a version of this one: the service's refusal, on the field.
    const other = await buildMsi(dir, { name: 'Fabrikam Tool', version: '1.0.0', manufacturer: 'Fabrikam' });
    await page.getByLabel('Package file').setInputFiles(other.file);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#new-version-file-error').waitFor();
    t.match(await page.locator('#new-version-file-error').textContent(), /^The upload failed: /);
    await look(page, 'apps-version-refused');
    t.same(
      (await apps()).map((a) => a.name),
      ['Contoso Notes'],
      'no other app made',
    );

    // Version 1.0.0 deleted after the browser's confirmation.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete version 1.0.0' }).click();
    await page.getByText('Version 1.0.0 deleted.').waitFor();
    t.same(
      ((await server.admin('GET', `/api/v1/apps/${appId}`)).json.versions as { version: string }[]).map((v) => v.version),
      ['2.0.0'],
    );

    // The app: its profile still there, so refused first, the refusal said; then deleted anyway.
    await page.getByRole('link', { name: 'Delete the app…' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delete app Contoso Notes?' }).waitFor();
    await page.getByRole('button', { name: 'Delete Contoso Notes' }).click();
    await page.locator('.form-errors').waitFor();
    t.match(await page.locator('.form-errors').textContent(), /is deployed by \d+ profile/);
    await look(page, 'apps-delete-refused');
    await Promise.all([page.waitForURL(/\/console\/apps$/), page.getByRole('button', { name: 'Delete Contoso Notes' }).click()]);
    t.equal(await page.locator('.flash').textContent(), 'App Contoso Notes deleted.');
    t.ok(await page.getByText('No app yet.').isVisible());
    t.same(await apps(), [], 'gone from the catalog');

    // Microsoft 365 Apps by a configuration: its page shows the configuration, no package.
    await page.goto(`${base}/console/apps/new`);
    await page
      .getByRole('textbox', { name: 'Configuration XML' })
      .fill(
        '<Configuration><Add OfficeClientEdition="64" Channel="MonthlyEnterprise"><Product ID="O365ProPlusRetail"><Language ID="en-us" /></Product></Add></Configuration>',
      );
    await Promise.all([page.waitForURL(/\/console\/apps\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Add Microsoft 365 Apps' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Microsoft 365 Apps' }).waitFor();
    t.equal(await page.locator('[data-fact="source"] dd').textContent(), 'Office CSP');
    t.match(await page.locator('pre.xml').textContent(), /Channel="MonthlyEnterprise"/);
    t.equal(await page.getByLabel('Package file').count(), 0, 'no package to upload for it');
    t.ok(await page.getByRole('heading', { level: 2, name: /^What the Office CSP is given \(config-[0-9a-f]+\)$/ }).isVisible());
    await look(page, 'apps-office');

    // An MSIX: its package family name (Microsoft's documented pair), signature and dependencies read from the package.
    const publisher = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';
    const msix = await buildMsix(dir, {
      name: 'Microsoft.WindowsCalculator',
      publisher,
      version: '11.2401.0.0',
      displayName: 'Calculator',
      signed: true,
      dependencies: [{ name: 'Microsoft.VCLibs.140.00', publisher, minVersion: '14.0.30704.0' }],
    });
    await page.goto(`${base}/console/apps/new`);
    await page.getByLabel('Package file').setInputFiles(msix.file);
    await Promise.all([page.waitForURL(/\?added=/), page.getByRole('button', { name: 'Upload' }).click()]);
    await page.getByText('Version 11.2401.0.0 of Calculator was read from the package.').waitFor();
    t.equal(await page.locator('[data-fact="packageFamilyName"] dd').textContent(), 'Microsoft.WindowsCalculator_8wekyb3d8bbwe');
    t.equal(await page.locator('[data-fact="signed"] dd').textContent(), 'yes');
    t.match(await page.locator('[data-fact="dependencies"] dd').textContent(), /Microsoft\.VCLibs\.140\.00\s*≥ 14\.0\.30704\.0/);
    await look(page, 'apps-msix');
  });
}
