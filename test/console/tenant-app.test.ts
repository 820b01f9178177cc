// The tenant page's MDM application (issue #14) in a real browser, against the fake Entra ID and
// Graph: an owner connects a tenant, sets the application's client ID and credential — each
// refusal on the field the server names, the secret and private key never written back into any
// page —, sees the admin-consent link for the tenant's cloud, validates (consent missing, then
// granted: each check in words), replaces the secret by a certificate ("set on …, thumbprint …")
// and validates with it, comes back from the consent page, removes the application, disconnects
// after a confirmation naming the tenant; the audit names them for every step. Axe and a
// screenshot per page.
import crypto from 'node:crypto';
import t from 'tap';
import { generateCa } from '../../src/pki/ca.js';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

const FULL = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All'];

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

  t.test('owner: application set, consent link, validation in words, certificate, disconnect; all audited by name', async (t) => {
    const { page, admin } = owner;
    const tenantId = crypto.randomUUID();
    const clientId = crypto.randomUUID();
    const secret = 'Fx8Q~' + crypto.randomBytes(18).toString('base64url');
    const cert = generateCa({ commonName: 'fenestra app' });
    const other = generateCa({ commonName: 'another app' });
    entra.addTenant({ tenantId, cloud: 'standard', displayName: 'Contoso Ltd' });
    entra.addApplication({ clientId, displayName: 'Fenestra MDM', secret, certificatePem: cert.certPem });
    /** Every page the owner saw, to prove no secret or key was written into one. */
    const seen: string[] = [];
    const keep = async () => seen.push(await page.content());

    // Connect in the console (the audit names the owner), then the tenant page.
    await page.goto(`${base}/console/entra`);
    await page.getByLabel('Azure tenant ID').fill(tenantId);
    await page.getByLabel('Audiences').fill('https://mdm.fenestra.test');
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Connect the account' }).click()]);
    t.ok(await page.getByRole('heading', { name: 'Step 2: validate (needs the MDM application)' }).isVisible(), 'nothing to validate without the application');
    await page.getByRole('link', { name: 'Set the MDM application' }).click();
    await page.getByRole('heading', { level: 1, name: `Tenant ${tenantId}` }).waitFor();
    t.match(await page.locator('dl.facts').textContent(), /Application \(client\) ID\s*Not set/);
    t.match(await page.locator('dl.facts').textContent(), /Credential\s*None yet/);
    t.equal(await page.locator('a.consent-url').count(), 0, 'no consent link without a client ID');
    await look(owner.page, 'tenant-app-none');

    const clientField = page.locator('#app-appClientId');
    const secretField = page.getByLabel('Client secret', { exact: true });
    const certField = page.getByLabel('Certificate (PEM)');
    const keyField = page.getByLabel('Its private key (PEM, unencrypted RSA)');
    const save = () => page.getByRole('button', { name: 'Save the application' }).click();
    const errorOf = async (name: string) => {
      const field = page.locator(`#app-${name}`);
      await page.locator(`#app-${name}-error`).waitFor();
      t.equal(await field.getAttribute('aria-invalid'), 'true', `${name} marked invalid`);
      t.match(await field.getAttribute('aria-describedby'), `app-${name}-error`, `${name}: the reason tied to it`);
      return (await page.locator(`#app-${name}-error`).textContent()) ?? '';
    };

    // The server names the client ID: not a GUID.
    await clientField.fill('not-a-guid');
    await secretField.fill(secret);
    await save();
    t.match(await errorOf('appClientId'), /GUID/);
    await keep();
    t.equal(await secretField.inputValue(), '', 'the secret is not written back');
    await look(owner.page, 'tenant-app-error-client-id');

    // The server names the secret: too short to be a secret's Value.
    await clientField.fill(clientId);
    await secretField.fill('short');
    await save();
    t.match(await errorOf('secret'), /client secret value/);
    t.equal(await clientField.inputValue(), clientId, 'the client ID typed is kept');

    // The server names the private key: not the certificate's.
    await certField.fill(cert.certPem);
    await keyField.fill(other.keyPem);
    await save();
    t.match(await errorOf('privateKeyPem'), /does not belong to the certificate/);
    await keep();
    t.equal(await keyField.inputValue(), '', 'the private key is not written back');
    t.match(await certField.inputValue(), /BEGIN CERTIFICATE/, 'the certificate (public) is kept');
    await look(owner.page, 'tenant-app-error-key');

    // The console's own check: a certificate without its key, named on the key.
    await save();
    t.match(await errorOf('privateKeyPem'), /private key of the certificate too/);

    // Both kinds at once: said above the form.
    await secretField.fill(secret);
    await keyField.fill(cert.keyPem);
    await save();
    await page.locator('.form-errors').waitFor();
    t.match(await page.locator('.form-errors').textContent(), /not both/);
    t.equal((await server.admin('GET', `/api/v1/tenants/${tenantId}`)).json.appClientId, undefined, 'nothing was saved by the refused forms');

    // Saved with the secret.
    await certField.fill('');
    await secretField.fill(secret);
    await Promise.all([page.waitForURL(new RegExp(`/console/entra/${tenantId}$`)), save()]);
    t.match(await page.locator('.flash').textContent(), /MDM application was saved/);
    t.match(await page.locator('dl.facts').textContent(), new RegExp(`Application \\(client\\) ID\\s*${clientId}`));
    t.match(await page.locator('#credential-fact').textContent(), /^Client secret, set on \d+ \w+ \d{4}, \d\d:\d\d UTC$/);
    await keep();
    const consent = new URL((await page.locator('a.consent-url').getAttribute('href')) ?? '');
    t.equal(consent.origin + consent.pathname, `https://login.microsoftonline.com/${tenantId}/v2.0/adminconsent`, 'Standard: the .com consent page');
    t.equal(consent.searchParams.get('client_id'), clientId);
    t.equal(consent.searchParams.get('scope'), 'https://graph.microsoft.com/.default');
    t.equal(consent.searchParams.get('redirect_uri'), `https://enterpriseenrollment.fenestra.test/console/entra/${tenantId}/validate`);
    t.match(await page.locator('#application').textContent(), `returns to ${consent.searchParams.get('redirect_uri')}`, 'says which redirect URI to register');
    await look(owner.page, 'tenant-app-secret');

    // Validate before the administrator consented: said in words, with what to do.
    await page.getByRole('link', { name: 'Validate the connection' }).click();
    await page.getByRole('heading', { level: 1, name: 'Azure tenant validation' }).waitFor();
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Validation found problems/);
    const failed = page.locator('#validation li.failed');
    t.equal(await failed.count(), 1);
    t.match(await failed.textContent(), /To fix — Application .* has not granted consent yet \(open the consent URL and accept\)/);
    await keep();
    await look(owner.page, 'tenant-app-validate-no-consent');

    // The administrator consents; Entra sends the browser back; validation passes, each check said.
    entra.consent(tenantId, clientId, FULL);
    await page.goto(`${base}/console/entra/${tenantId}/validate?admin_consent=True&tenant=${tenantId}`);
    t.match(await page.locator('#consent-return').textContent(), /consent was granted/);
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Validation passed/);
    const checks = await page.locator('#validation li').allTextContents();
    t.equal(checks.length, 5);
    for (const c of checks) t.match(c, /^Passed — /);
    t.match(checks.join('\n'), /Contoso Ltd/);
    t.match(checks.join('\n'), /token was obtained with the client secret/);
    t.equal(entra.tokenAuth.at(-1), 'secret');
    await keep();
    await look(owner.page, 'tenant-app-validate-ok');
    await page.goto(`${base}/console/entra/${tenantId}/validate?error=access_denied&error_description=${encodeURIComponent('<b>evil</b>')}`);
    t.equal(
      (await page.locator('#consent-return').textContent())?.trim(),
      'Entra ID reports that the consent was not granted (access_denied). Open the consent link again as an administrator of the tenant.',
    );
    t.notMatch(await page.locator('main').innerHTML(), 'evil', "the error's description is not shown");

    // Replace the secret by a certificate: set on, thumbprint, end date; never the key.
    await page.goto(`${base}/console/entra/${tenantId}`);
    t.match(await page.locator('dl.facts').textContent(), /Validation\s*\d+ \w+ \d{4}, \d\d:\d\d UTC — Every check passed/);
    await certField.fill(cert.certPem);
    await keyField.fill(cert.keyPem);
    await Promise.all([page.waitForURL(new RegExp(`/console/entra/${tenantId}$`)), save()]);
    const thumbprint = new crypto.X509Certificate(cert.certPem).fingerprint.replaceAll(':', '');
    t.match(await page.locator('#credential-fact').textContent(), new RegExp(`^Certificate, set on .* UTC, thumbprint ${thumbprint}, valid until .* UTC$`));
    t.match(await page.locator('dl.facts').textContent(), /Validation\s*Not validated yet/, 'the old result no longer applies');
    await keep();
    await look(owner.page, 'tenant-app-certificate');
    await page.getByRole('link', { name: 'Validate the connection' }).click();
    await Promise.all([page.waitForURL(/\/validate$/), page.getByRole('button', { name: 'Validate now' }).click()]);
    t.match(await page.locator('.flash').textContent(), /Validation passed/);
    t.match(await page.locator('#validation').textContent(), /token was obtained with the certificate/);
    t.equal(entra.tokenAuth.at(-1), 'certificate', 'the fake Entra ID checked the certificate assertion');

    // Saving the same client ID with no new credential changes nothing.
    await page.goto(`${base}/console/entra/${tenantId}`);
    await Promise.all([page.waitForURL(new RegExp(`/console/entra/${tenantId}$`)), save()]);
    t.equal(await page.locator('.flash').textContent(), 'Nothing was changed.');
    t.match(await page.locator('#credential-fact').textContent(), /^Certificate/, 'the certificate kept');

    // Remove the application, then disconnect after a confirmation naming the tenant.
    await Promise.all([
      page.waitForURL(new RegExp(`/console/entra/${tenantId}$`)),
      page.getByRole('button', { name: 'Remove the application and its credential' }).click(),
    ]);
    t.match(await page.locator('dl.facts').textContent(), /Credential\s*None yet/);
    await page.getByRole('link', { name: 'Disconnect the account' }).click();
    await page.getByRole('heading', { level: 1, name: `Disconnect tenant ${tenantId}?` }).waitFor();
    await look(owner.page, 'tenant-app-disconnect');
    await Promise.all([page.waitForURL(/\/console\/entra$/), page.getByRole('button', { name: `Disconnect ${tenantId}` }).click()]);
    t.match(await page.locator('.flash').textContent(), `Tenant ${tenantId} was disconnected.`);

    for (const html of seen) {
      t.notOk(html.includes(secret), 'no page holds the secret');
      t.notOk(html.includes('PRIVATE KEY'), 'no page holds a private key');
    }
    const audit = await server.admin('GET', `/api/v1/audit?targetId=${tenantId}&limit=50`);
    const entries = (audit.json.entries as { action: string; actor: string; detail?: Record<string, unknown> }[]).reverse();
    t.same(
      entries.map((e) => e.action),
      ['tenant.connect', 'tenant.change', 'tenant.validate', 'tenant.validate', 'tenant.change', 'tenant.validate', 'tenant.change', 'tenant.disconnect'],
    );
    for (const e of entries) t.equal(e.actor, admin.username, `${e.action} names the person`);
    t.match(entries[1]?.detail, { appClientId: { from: null, to: clientId }, credential: { from: null, to: { kind: 'secret' } } });
    t.match(entries[4]?.detail, { credential: { from: { kind: 'secret' }, to: { kind: 'certificate', thumbprint } } });
    t.notOk(JSON.stringify(audit.json).includes(secret), 'the audit holds no secret');
  });

  t.test('French: the application section', async (t) => {
    const { page } = owner;
    const id = await server.connectTenant({ cloud: 'gcc-high' });
    await page.goto(`${base}/console/lang/fr?next=${encodeURIComponent(`/console/entra/${id}`)}`);
    await page.getByRole('heading', { level: 2, name: 'Application MDM' }).waitFor();
    t.ok(await page.getByLabel("ID d'application (client)").isVisible());
    t.ok(await page.getByLabel('Secret client', { exact: true }).isVisible());
    await page.getByLabel("ID d'application (client)").fill(crypto.randomUUID());
    await page.getByLabel('Secret client', { exact: true }).fill('court');
    await page.getByRole('button', { name: "Enregistrer l'application" }).click();
    await page.locator('#app-secret-error').waitFor();
    const consent = await server.admin('GET', `/api/v1/tenants/${id}`);
    t.equal(consent.json.appClientId, undefined, 'refused');
    await look(owner.page, 'tenant-app-fr-error');
    await page.goto(`${base}/console/lang/en?next=${encodeURIComponent('/console/entra')}`);
  });
}
