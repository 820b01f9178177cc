// The tenant validation step made live (issue #14), in a real browser: for a GCC High tenant
// whose application (client ID and certificate) was set through the API, the page links to the
// .us admin-consent page for that application, "Validate now" checks the connection against the
// fake Entra ID and Graph and shows each check; a missing permission is shown as a check to fix,
// naming the permission. Axe and a screenshot of both results.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { checkA11y, consoleBase, launchBrowser, noBrowser, screenshot, signedIn } from '../helpers/browser.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';
import { outboundEnv, startFakeGraph } from '../helpers/fake-graph.js';
import { startTestServer } from '../helpers/server.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  t.setTimeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-entra-console-'));
  const ca = generateCa({ commonName: 'Fake Microsoft CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), {
    hostnames: ['login.microsoftonline.com', 'login.microsoftonline.us', 'graph.microsoft.com', 'graph.microsoft.us'],
  });
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  const entra = await startFakeEntraApp(tls);
  const graph = await startFakeGraph(tls, entra);
  const server = await startTestServer(outboundEnv(entra.port, graph.port, path.join(dir, 'ca.pem')));
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await server.close();
    await graph.close();
    await entra.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const base = consoleBase(server);
  const owner = await signedIn(browser, server, 'owner');
  t.teardown(() => owner.context.close());

  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const cert = generateCa({ commonName: 'fenestra app' });
  entra.addTenant({ tenantId, cloud: 'gcc-high', displayName: 'Contoso Federal' });
  entra.addApplication({ clientId, displayName: 'Fenestra MDM', certificatePem: cert.certPem });
  entra.consent(tenantId, clientId, ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All']);
  const r = await server.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud: 'gcc-high',
    audiences: ['https://mdm.fenestra.test'],
    appClientId: clientId,
    credential: { certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
  });
  t.equal(r.status, 201);

  t.test('validate now: each check shown, a missing permission to fix, then all passed', async (t) => {
    const { page } = owner;
    await page.goto(`${base}/console/entra/${tenantId}/validate`);
    const consent = new URL((await page.locator('a.consent-url').getAttribute('href')) ?? '');
    t.equal(consent.origin + consent.pathname, `https://login.microsoftonline.us/${tenantId}/v2.0/adminconsent`, 'the .us consent page');
    t.equal(consent.searchParams.get('client_id'), clientId, "for the tenant's application");
    t.ok(await page.getByRole('heading', { name: 'Step 2: validate' }).isVisible());
    t.ok(await page.locator('#validation-none').isVisible(), 'not validated yet');

    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    await page.locator('#validation').waitFor();
    t.match(await page.locator('.flash').textContent(), /Validation found problems/);
    const failed = page.locator('#validation li.failed');
    t.equal(await failed.count(), 1);
    t.match(await failed.textContent(), /To fix.*Device\.ReadWrite\.All/);
    t.match(await page.locator('#validation').textContent(), /Contoso Federal/, 'the organization read from Graph');
    await screenshot(page, 'entra-validate-failed');
    await checkA11y(page, 'entra-validate-failed');

    // The administrator grants the missing permission and consents again.
    entra.consent(tenantId, clientId, ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All']);
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Validation passed/);
    t.equal(await page.locator('#validation li.failed').count(), 0);
    t.ok((await page.locator('#validation li.ok').count()) >= 5);
    await screenshot(page, 'entra-validate-ok');
    await checkA11y(page, 'entra-validate-ok');

    const audit = await server.admin('GET', `/api/v1/audit?targetId=${tenantId}&action=tenant.validate`);
    t.equal(audit.json.entries.length, 2, 'both validations audited');
  });
}
