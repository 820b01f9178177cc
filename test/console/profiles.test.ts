// The console's profile pages in a real browser: a Wi-Fi profile created in the schema-generated
// editor with a schema error shown at its field (values kept, secret not), fixed; assigned to user
// A (a refused assignment shown at its field); a simulated shared PC checks in as A, then B: the
// device page's matrix shows it delivered for A and not for B; the dry run, the edit page (the
// stored secret never prefilled, kept when left empty), list rows added by profile-editor.js, and
// deletion with its confirmation. Screenshots and axe on every page.
import crypto from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import { look as lookAt, noBrowser, openConsole } from '../helpers/browser.js';
import { AUDIENCE } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

// A browser, a server and a simulated device: longer than the default per-file timeout on a busy machine.
t.setTimeout(300_000);
if (noBrowser) t.plan(0, noBrowser);
else
  t.test('profiles in the console, delivered per user on a shared PC', async (t) => {
    const { server: s, base, signedIn } = await openConsole(t);
    const [tid, { page }] = await Promise.all([s.connectTenant(), signedIn('admin', { at: '/console/profiles' })]);
    const look = (p: Page, name: string) => lookAt(p, `profiles-${name}`);

    let profileId = '';
    await t.test('create a Wi-Fi profile: a schema error at its field, values kept, then fixed', async (t) => {
      // The page is the profile list (signedIn opened it).
      await look(page, 'list-empty');
      await page.getByRole('link', { name: 'New profile' }).click();
      await look(page, 'choose-kind');
      await page.getByRole('link', { name: 'Wi-Fi profile' }).click();
      await look(page, 'new-wifi');
      await page.getByLabel('Name', { exact: true }).fill('Sales Wi-Fi');
      await page.getByLabel(/^SSID/).fill('Contoso Sales');
      await page.getByLabel(/^Security/).selectOption('WPA2PSK');
      await page.getByLabel(/^Passphrase/).fill('short');
      await page.getByRole('button', { name: 'Create the profile' }).click();
      const pass = page.getByLabel(/^Passphrase/);
      t.equal(await pass.getAttribute('aria-invalid'), 'true', 'the passphrase is marked invalid');
      const describedBy = (await pass.getAttribute('aria-describedby')) ?? '';
      const errorId = describedBy.split(' ').find((x) => x.endsWith('-error'));
      t.ok(errorId, 'described by its error');
      t.match(await page.locator(`#${errorId}`).textContent(), /fewer than 8|pattern/, "the server's message next to the field");
      t.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Sales Wi-Fi', 'the name is kept');
      t.equal(await page.getByLabel(/^SSID/).inputValue(), 'Contoso Sales', 'the SSID is kept');
      t.equal(await page.getByLabel(/^Security/).inputValue(), 'WPA2PSK', 'the security is kept');
      t.equal(await pass.inputValue(), '', 'the secret is not written back into the page');
      t.ok(await page.locator('.form-errors a[href="#' + (await pass.getAttribute('id')) + '"]').count(), 'the summary links to the field');
      await look(page, 'new-wifi-error');
      t.equal((await s.admin('GET', '/api/v1/profiles')).json.length, 0, 'nothing was created');
      await pass.fill('correct horse battery');
      await page.getByRole('button', { name: 'Create the profile' }).click();
      await page.waitForURL(/\/console\/profiles\/[0-9a-f-]{36}$/);
      profileId = page.url().split('/').pop()!;
      t.match(await page.locator('.flash').textContent(), /Sales Wi-Fi/);
      const stored = (await s.admin('GET', `/api/v1/profiles/${profileId}`)).json;
      t.same(stored.settings, { ssid: 'Contoso Sales', security: 'WPA2PSK', passphrase: '********' });
      t.equal(stored.scope, 'user');
      t.notOk((await page.content()).includes('correct horse battery'), 'the secret is not on the profile page');
      await look(page, 'profile');
    });

    await t.test('assign it to user A (a refused target is shown at its field)', async (t) => {
      await page.getByLabel('Assign to').selectOption('user');
      await page.getByLabel('User or device').fill('not a user');
      await page.getByRole('button', { name: 'Assign', exact: true }).click();
      t.equal(await page.getByLabel('User or device').getAttribute('aria-invalid'), 'true');
      t.match(await page.locator('#f-targetId-error').textContent(), /Entra object ID or a UPN/);
      t.equal(await page.getByLabel('User or device').inputValue(), 'not a user', 'the value is kept');
      await look(page, 'assign-error');
      await page.getByLabel('User or device').fill('alice@contoso.com');
      await page.getByRole('button', { name: 'Assign', exact: true }).click();
      await page.locator('tr[data-assignment="user:alice@contoso.com"]').waitFor();
      const a = (await s.admin('GET', `/api/v1/profiles/${profileId}`)).json.assignments;
      t.same(
        a.map((x: any) => [x.targetType, x.targetId]),
        [['user', 'alice@contoso.com']],
      );
      // An assignment to all devices, removed again.
      await page.getByLabel('Assign to').selectOption('all');
      await page.getByLabel('User or device').fill('');
      await page.getByRole('button', { name: 'Assign', exact: true }).click();
      await page.locator('tr[data-assignment="all:*"]').waitFor();
      await page.getByRole('button', { name: 'Remove the assignment to All devices' }).click();
      await page.locator('.flash', { hasText: 'Assignment removed.' }).waitFor();
      t.equal(await page.locator('tr[data-assignment="all:*"]').count(), 0, 'removed');
      t.equal((await s.admin('GET', `/api/v1/profiles/${profileId}`)).json.assignments.length, 1, 'only A remains');
    });

    const aOid = crypto.randomUUID();
    const bOid = crypto.randomUUID();
    let deviceId = '';
    await t.test('a shared PC checks in as A, then B: delivered for A, not for B', async (t) => {
      const token = (oid: string, upn: string) => s.entra.mintToken({ tid, aud: AUDIENCE, upn, oid });
      const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com', oid: aOid });
      await dev.enroll();
      deviceId = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
      t.equal((await dev.checkin({ user: { token: await token(aOid, 'alice@contoso.com') } })).outcome, 'complete');
      t.equal((await dev.checkin({ user: { token: await token(bOid, 'bob@contoso.com') } })).outcome, 'complete');
      await page.goto(`${base}/console/devices/${deviceId}`);
      const cell = (oid: string) => page.locator(`tr[data-user="${oid}"] td[data-profile="${profileId}"]`);
      t.match(await cell(aOid).getAttribute('data-status'), /^(delivered|verified)$/, "A's Wi-Fi is delivered");
      t.match(await cell(aOid).textContent(), /delivered|verified/);
      t.equal(await cell(bOid).getAttribute('data-status'), null, "B's is not");
      t.match(await cell(bOid).textContent(), /not assigned/);
      t.match(await page.locator('tr[data-user=""] th').textContent(), /Device/, 'the device tree has its row');
      await look(page, 'device-matrix');
    });

    await t.test('the dry run of the device for B, from the device page', async (t) => {
      await page.getByLabel(/Dry run/).selectOption({ label: 'bob@contoso.com' });
      await page.getByRole('button', { name: 'Show the dry run' }).click();
      await page.waitForURL(/\/console\/profiles\/plan\?/);
      t.match(await page.locator('#h-result').textContent(), /bob@contoso\.com/);
      t.match(await page.locator('pre.xml').textContent(), /<SyncML/);
      t.notOk((await page.content()).includes('correct horse battery'), 'no secret in the dry run');
      await look(page, 'plan');
      await page.goto(`${base}/console/profiles/plan?device=nope`);
      t.match(await page.locator('#f-device-error').textContent(), /not found/);
      await look(page, 'plan-error');
    });

    await t.test('edit: the stored secret is never shown and is kept when left empty', async (t) => {
      await page.goto(`${base}/console/profiles/${profileId}/edit`);
      await look(page, 'edit');
      const pass = page.getByLabel(/^Passphrase/);
      t.equal(await pass.inputValue(), '', 'not prefilled');
      t.notOk((await page.content()).includes('********'), 'not even masked');
      await page.getByLabel(/^SSID/).fill('x'.repeat(33));
      await page.getByRole('button', { name: 'Save a new version' }).click();
      t.equal(await page.getByLabel(/^SSID/).getAttribute('aria-invalid'), 'true', 'a too-long SSID is refused at its field');
      t.match(await page.getByLabel('Name', { exact: true }).inputValue(), 'Sales Wi-Fi');
      await page.getByLabel(/^SSID/).fill('Contoso Sales 2');
      await page.getByRole('button', { name: 'Save a new version' }).click();
      await page.waitForURL(new RegExp(`/console/profiles/${profileId}$`));
      const p = (await s.admin('GET', `/api/v1/profiles/${profileId}`)).json;
      t.equal(p.version, 2);
      t.equal(p.settings.ssid, 'Contoso Sales 2');
      t.equal(p.settings.passphrase, '********', 'a passphrase is still stored');
      const plan = (await s.admin('GET', `/api/v1/devices/${deviceId}/plan?user=${aOid}`)).json;
      t.ok(
        plan.profiles.some((e: any) => e.profileId === profileId && e.action === 'update'),
        'devices get the new version',
      );
    });

    await t.test("the other kinds' editors, generated from their schemas, pass axe", async (t) => {
      // (Wi-Fi and custom are looked at in the other steps.)
      for (const kind of ['vpn', 'email', 'certificate', 'hello']) {
        await page.goto(`${base}/console/profiles/new?kind=${kind}`);
        t.equal(await page.locator('form[data-profile-editor]').count(), 1, kind);
        // A certificate's fields are in the branch of its type: show the largest one.
        if (kind === 'certificate') {
          await page.locator('select[name="s.type"]').selectOption('scep');
          await page.getByLabel(/^Server URLs 1/).waitFor();
        }
        await look(page, `new-${kind}`);
      }
    });

    await t.test('list rows: added and removed by profile-editor.js, posted in order', async (t) => {
      await page.goto(`${base}/console/profiles/new?kind=custom`);
      await page.getByLabel('Name', { exact: true }).fill('Custom nodes');
      await page.getByLabel('Scope').selectOption('device');
      const rows = page.locator('fieldset[data-array] > ol.rows > li.row').filter({ has: page.locator('[name$=".locUri"]') });
      const before = await rows.count();
      await page.getByRole('button', { name: 'Add Nodes' }).click();
      t.equal(await rows.count(), before + 1, 'a row added');
      const fill = async (i: number, uri: string) => {
        const row = rows.nth(i);
        await row.locator('[name$=".locUri"]').fill(uri);
        await row.locator('[name$=".format"]').selectOption('int');
        await row.locator('[name$=".value"]').fill('1');
      };
      await fill(0, './Device/Vendor/MSFT/Policy/Config/A/One');
      await fill(before, './Device/Vendor/MSFT/Policy/Config/A/Two');
      await rows
        .nth(1)
        .getByRole('button', { name: /Remove/ })
        .click();
      t.equal(await rows.count(), before, 'a row removed');
      await look(page, 'new-custom-rows');
      await page.getByRole('button', { name: 'Create the profile' }).click();
      await page.waitForURL(/\/console\/profiles\/[0-9a-f-]{36}$/);
      const p = (await s.admin('GET', `/api/v1/profiles/${page.url().split('/').pop()}`)).json;
      t.same(
        p.settings.nodes.map((n: any) => n.locUri),
        ['./Device/Vendor/MSFT/Policy/Config/A/One', './Device/Vendor/MSFT/Policy/Config/A/Two'],
      );
    });

    await t.test('the list counts deliveries; deletion asks first', async (t) => {
      await page.goto(`${base}/console/profiles`);
      const row = page.locator(`tr[data-profile="${profileId}"]`);
      t.match(await row.locator('td').nth(3).textContent(), /^1$/, 'one delivered (A)');
      await look(page, 'list');
      await page.goto(`${base}/console/profiles/${profileId}`);
      await page.getByRole('link', { name: 'Delete…' }).click();
      await look(page, 'delete');
      await page.getByRole('button', { name: 'Delete Sales Wi-Fi' }).click();
      await page.waitForURL(/\/console\/profiles$/);
      t.equal((await s.admin('GET', `/api/v1/profiles/${profileId}`)).status, 404);
      const audit = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries;
      t.ok(
        audit.some((e: any) => e.action === 'profile.delete' && !/^admin-token|^break-glass/.test(e.actor)),
        'audited as the person',
      );
    });
  });
