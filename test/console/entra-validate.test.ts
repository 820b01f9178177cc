// The tenant validation step made live (issue #14), in a real browser: for a GCC High tenant
// whose application (client ID and certificate) was set through the API, the page links to the
// .us admin-consent page for that application, "Validate now" checks the connection against the
// fake Entra ID and Graph and shows each check; a missing permission is shown as a check to fix,
// naming the permission. Axe and a screenshot of both results.
import t from 'tap';
import { generateCa } from '../../src/pki/ca.js';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  t.setTimeout(300_000);
  const fakes = await startMicrosoftFakes();
  const { entra } = fakes;
  t.teardown(() => fakes.close());
  const { server, base, signedIn } = await openConsole(t, fakes.env);
  const owner = await signedIn('owner');
  t.teardown(() => owner.context.close());

  const { tenantId, clientId, connect } = await connectAppTenant(server, entra, ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All'], {
    cloud: 'gcc-high',
    displayName: 'Contoso Federal',
    domains: ['contoso-federal.onmicrosoft.us', 'contoso.gov'],
    certificate: generateCa({ commonName: 'fenestra app' }),
  });
  t.equal(connect.status, 201);

  t.test('validate now: each check shown, a missing permission to fix, then all passed', async (t) => {
    const { page } = owner;
    await page.goto(`${base}/console/entra/${tenantId}/validate`);
    const consent = new URL((await page.locator('a.consent-url').getAttribute('href')) ?? '');
    t.equal(consent.origin + consent.pathname, `https://login.microsoftonline.us/${tenantId}/v2.0/adminconsent`, 'the .us consent page');
    t.equal(consent.searchParams.get('client_id'), clientId, "for the tenant's application");
    t.ok(await page.getByRole('heading', { name: 'Step 2: validate' }).isVisible());
    t.ok(await page.locator('#validation-none').isVisible(), 'not validated yet');
    await page.goto(`${base}/console/entra/${tenantId}`);
    t.match(await page.locator('dl.facts dt:text-is("Verified domains") + dd').textContent(), /Not read yet/, 'no domains before a validation');
    await page.goto(`${base}/console/entra/${tenantId}/validate`);

    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    await page.locator('#validation').waitFor();
    t.match(await page.locator('.flash').textContent(), /Validation found problems/);
    const failed = page.locator('#validation li.failed');
    t.equal(await failed.count(), 1);
    t.match(await failed.textContent(), /To fix.*Device\.ReadWrite\.All/);
    t.match(await page.locator('#validation').textContent(), /Contoso Federal/, 'the organization read from Graph');
    await look(page, 'entra-validate-failed');

    // The administrator grants the missing permission and consents again.
    entra.consent(tenantId, clientId, ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All']);
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Validation passed/);
    t.equal(await page.locator('#validation li.failed').count(), 0);
    t.ok((await page.locator('#validation li.ok').count()) >= 5);
    await look(page, 'entra-validate-ok');

    // The verified domains, read from Graph by the validation, on the tenant's page.
    await page.goto(`${base}/console/entra/${tenantId}`);
    const domains = page.locator('dl.facts dt:text-is("Verified domains") + dd');
    t.equal(await domains.textContent(), 'contoso-federal.onmicrosoft.us, contoso.gov', "the tenant's verified domains");

    const audit = await server.admin('GET', `/api/v1/audit?targetId=${tenantId}&action=tenant.validate`);
    t.equal(audit.json.entries.length, 2, 'both validations audited');
  });
}
