// Compliance in a real browser (#14): an admin creates a policy (a refused minimum build shown on
// its field, then fixed), assigns it to all devices; a simulated Entra-joined device with its
// firewall off checks in and shows up in the device list filtered to the noncompliant, reached
// from the dashboard's compliance card and from the filter select; the policy is unassigned and
// deleted after a confirmation naming it. A helpdesk administrator sees the policies without
// forms, and a change forged with their session's CSRF token is refused by the server (403).
// Screenshots and axe on each page.
import t from 'tap';
import type { Page } from 'playwright-core';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { entraSimDevice } from '../helpers/sim-device.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server, a device and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);
  const policies = async () => (await server.admin('GET', '/api/v1/compliance-policies')).json.policies as { id: string; name: string }[];
  /** A form POST sent by the page's own fetch (its cookies), not through a form of the page. */
  const fromPage = (p: Page, url: string, form: Record<string, string>) =>
    p.evaluate(
      async ({ url, form }) => {
        const r = await fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
        return r.status;
      },
      { url, form },
    );

  t.test('admin: create with a field error fixed, assign to all, a noncompliant device in the filtered list, delete', async (t) => {
    const { page, context, admin } = await signedIn('admin', { at: '/console/compliance' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Compliance' }).waitFor();
    t.ok(await page.getByText('No compliance policy yet.').isVisible());
    t.equal(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Compliance' }).getAttribute('aria-current'), 'page');
    await look(page, 'compliance-empty');

    await page.getByRole('textbox', { name: 'Name' }).fill('Baseline');
    await page.getByRole('textbox', { name: 'Lowest OS build' }).fill('ten');
    await page.getByRole('checkbox', { name: 'Firewall on and monitoring' }).check();
    await page.getByRole('button', { name: 'Create the policy' }).click();
    await page.locator('#create-minOsBuild-error').waitFor();
    t.match(await page.locator('#create-minOsBuild-error').textContent(), /dotted build number/, "the server's refusal, on the field it names");
    t.equal(await page.getByRole('textbox', { name: 'Lowest OS build' }).getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByRole('textbox', { name: 'Name' }).inputValue(), 'Baseline', 'what was typed is kept');
    t.ok(await page.getByRole('checkbox', { name: 'Firewall on and monitoring' }).isChecked(), 'the ticked rule is kept');
    await look(page, 'compliance-create-error');
    t.same(await policies(), [], 'no policy was created');

    await page.getByRole('textbox', { name: 'Lowest OS build' }).fill('10.0.22000');
    await Promise.all([page.waitForURL(/\/console\/compliance\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create the policy' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Compliance policy Baseline' }).waitFor();
    const policyId = page.url().split('/').pop() as string;
    const created = (await server.admin('GET', `/api/v1/compliance-policies/${policyId}`)).json;
    t.same(created.rules, { minOsBuild: '10.0.22000', firewall: true });
    t.equal(created.graceHours, 0);
    t.ok(await page.getByText('This policy is not assigned').isVisible());

    await page.getByRole('radio', { name: 'All devices' }).check();
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByRole('button', { name: 'Unassign All devices' }).waitFor();
    t.match(await page.locator('.flash').textContent(), 'The policy was assigned to All devices.');
    t.same(
      (await server.admin('GET', `/api/v1/compliance-policies/${policyId}`)).json.assignments.map((a: { targetType: string }) => a.targetType),
      ['all'],
    );
    await look(page, 'compliance-policy');

    // A second assignment to all is refused, shown on the form.
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.locator('#assign-targetType-error').waitFor();
    t.match(await page.locator('#assign-targetType-error').textContent(), /exists/);
    // A user that is neither an object ID nor a UPN: refused on the target field.
    await page.getByRole('radio', { name: 'User', exact: true }).check();
    await page.getByRole('textbox', { name: 'Device, group or user' }).fill('not a user');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.locator('#assign-targetId-error').waitFor();
    t.match(await page.locator('#assign-targetId-error').textContent(), /Entra object ID or a UPN/);
    t.equal(await page.getByRole('textbox', { name: 'Device, group or user' }).inputValue(), 'not a user', 'what was typed is kept');
    await look(page, 'compliance-assign-error');

    // A simulated Entra-joined device, its firewall off: noncompliant at its first inventory.
    const tid = await server.connectTenant();
    const dev = entraSimDevice(server, tid, { upn: 'alice@contoso.com' });
    await dev.enroll();
    dev.setHealth({ firewall: '1' });
    await dev.checkin();
    const id = (await server.admin('GET', '/api/v1/devices')).json.devices.find((d: { deviceId: string }) => d.deviceId === dev.deviceId).id as string;
    t.equal((await server.admin('GET', `/api/v1/devices/${id}/compliance`)).json.state, 'noncompliant');

    // Assigned to the device too, named by its DeviceID: listed as the device, by our id.
    await page.goto(`${base}/console/compliance/${policyId}`);
    await page.getByRole('radio', { name: 'Device', exact: true }).check();
    await page.getByRole('textbox', { name: 'Device, group or user' }).fill(dev.deviceId);
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByRole('link', { name: `Device ${id}` }).waitFor();
    await page.getByRole('button', { name: `Unassign Device ${id}` }).click();
    await page.getByText(`The assignment to Device ${id} was removed.`).waitFor();
    // And to a local group named by its name, listed by its name.
    const group = await server.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user', members: ['alice@contoso.com'] });
    t.equal(group.status, 201);
    await page.getByRole('radio', { name: 'Local group' }).check();
    await page.getByRole('textbox', { name: 'Device, group or user' }).fill('sales');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    t.equal(await page.getByRole('link', { name: 'Local group Sales' }).getAttribute('href'), `/console/groups/${group.json.id}`);
    t.match((await server.admin('GET', `/api/v1/compliance-policies/${policyId}`)).json.assignments, [
      { targetType: 'all' },
      { targetType: 'group', targetId: group.json.id },
    ]);
    await page.getByRole('button', { name: 'Unassign Local group Sales' }).click();
    await page.getByText('The assignment to Local group Sales was removed.').waitFor();

    // The dashboard's card links to the filtered list.
    await page.goto(`${base}/console/`);
    const card = page.locator('[data-card="compliance"]');
    t.match(await card.getByRole('listitem').filter({ hasText: 'Not compliant' }).textContent(), /Not compliant:\s*1/);
    await look(page, 'compliance-dashboard');
    await Promise.all([page.waitForURL(/\/console\/devices\?compliance=noncompliant$/), card.getByRole('link', { name: 'Not compliant' }).click()]);
    const rows = page.locator('table.list tbody tr');
    t.equal(await rows.count(), 1);
    t.equal(await rows.locator(`a[href="/console/devices/${id}"]`).count(), 1, 'the noncompliant device is listed');
    t.equal(await page.getByRole('combobox', { name: 'Compliance' }).inputValue(), 'noncompliant', 'the filter shows what is applied');
    await look(page, 'compliance-devices-filtered');

    // The filter select: compliant lists nobody, noncompliant the device.
    await page.getByRole('combobox', { name: 'Compliance' }).selectOption('compliant');
    await Promise.all([page.waitForURL(/compliance=compliant/), page.getByRole('button', { name: 'Apply' }).click()]);
    t.ok(await page.getByText('No device matches.').isVisible(), 'no compliant device');
    await page.getByRole('combobox', { name: 'Compliance' }).selectOption('noncompliant');
    await Promise.all([page.waitForURL(/compliance=noncompliant/), page.getByRole('button', { name: 'Apply' }).click()]);
    t.equal(await page.locator(`table.list tbody a[href="/console/devices/${id}"]`).count(), 1);

    // The policy list counts it by state.
    await page.goto(`${base}/console/compliance`);
    t.equal(await page.locator('[data-state="noncompliant"] .value').textContent(), '1');
    t.match(await page.getByRole('row', { name: /Baseline/ }).textContent(), /OS build ≥ 10\.0\.22000 · firewall on/);
    await look(page, 'compliance-list');

    // A change: a grace period that is not a number is refused on its field, then a valid one is saved.
    await page.getByRole('link', { name: 'Baseline' }).click();
    await page.getByRole('textbox', { name: 'Grace period (hours)' }).fill('two days');
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.locator('#edit-graceHours-error').waitFor();
    await page.getByRole('textbox', { name: 'Grace period (hours)' }).fill('48');
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.getByText('was changed (version 2)').waitFor();
    t.equal((await server.admin('GET', `/api/v1/compliance-policies/${policyId}`)).json.graceHours, 48);

    await page.getByRole('button', { name: 'Unassign All devices' }).click();
    await page.getByText('This policy is not assigned').waitFor();
    t.same((await server.admin('GET', `/api/v1/compliance-policies/${policyId}`)).json.assignments, []);

    await page.getByRole('link', { name: 'Delete the policy' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delete compliance policy Baseline?' }).waitFor();
    await look(page, 'compliance-delete');
    await Promise.all([page.waitForURL(/\/console\/compliance$/), page.getByRole('button', { name: 'Delete Baseline' }).click()]);
    t.match(await page.locator('.flash').textContent(), 'Compliance policy Baseline was deleted.');
    t.same(await policies(), []);
    const audit = (await server.admin('GET', '/api/v1/audit?action=compliance-policy')).json;
    const entries = (audit.entries ?? audit) as { action: string; actor: string }[];
    t.ok(
      ['create', 'assign', 'update', 'unassign', 'delete'].every((a) =>
        entries.some((e) => e.action === `compliance-policy.${a}` && e.actor.includes(admin.username)),
      ),
      'each change audited with the person',
    );
  });

  t.test('helpdesk: the policies without forms; a forged change refused by the server', async (t) => {
    const p = await server.admin('POST', '/api/v1/compliance-policies', { name: 'Lab', rules: { secureBoot: true } });
    t.equal(p.status, 201);
    const { page, context } = await signedIn('helpdesk', { at: '/console/compliance', lang: 'fr' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Conformité' }).waitFor();
    t.equal(await page.locator('form[action^="/console/compliance"]').count(), 0, 'no forms on the list');
    await page.getByRole('link', { name: 'Lab' }).click();
    await page.getByRole('heading', { level: 1, name: 'Stratégie de conformité Lab' }).waitFor();
    t.equal(await page.locator('form[action^="/console/compliance"]').count(), 0, 'no forms on the policy');
    await look(page, 'compliance-helpdesk-fr');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    t.equal(await fromPage(page, `${base}/console/compliance`, { _csrf: csrf, name: 'Forged', firewall: '1' }), 403, 'create refused');
    t.equal(await fromPage(page, `${base}/console/compliance/${p.json.id}/assignments`, { _csrf: csrf, targetType: 'all' }), 403, 'assign refused');
    t.equal(await fromPage(page, `${base}/console/compliance/${p.json.id}/delete`, { _csrf: csrf }), 403, 'delete refused');
    t.same(
      (await policies()).map((x) => x.name),
      ['Lab'],
      'nothing created or deleted',
    );
    t.same((await server.admin('GET', `/api/v1/compliance-policies/${p.json.id}`)).json.assignments, [], 'nothing assigned');
    const res = await page.goto(`${base}/console/compliance/${p.json.id}/delete`);
    t.equal(res?.status(), 403);
  });
}
