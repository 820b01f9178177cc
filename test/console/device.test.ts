// The console's device page in a real browser: the Entra user signed in now updates without a
// reload when the simulated shared PC signs another user in (device.js polling the live
// fragment); an admin queues a wipe through its confirmation (a wrong name refused at the field),
// and the device carries it out; a helpdesk admin sees no wipe button, and a forged wipe POST with
// a valid session and CSRF token is refused by the server (403), as is the confirmation page,
// while sync works; revoke after retire. Screenshots and axe on every page.
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
  t.test('the device page', async (t) => {
    const { server: s, base, signedIn } = await openConsole(t);
    const tid = await s.connectTenant();
    const look = (p: Page, name: string) => lookAt(p, `device-${name}`);
    const aOid = crypto.randomUUID();
    const bOid = crypto.randomUUID();
    const token = (oid: string, upn: string) => s.entra.mintToken({ tid, aud: AUDIENCE, upn, oid });
    const enroll = async () => {
      const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com', oid: aOid });
      await dev.enroll();
      const id: string = (await s.admin('GET', '/api/v1/devices?limit=100')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
      return { dev, id };
    };
    /** A request from inside the page (same origin, its cookies), as a forged form or a script would send it: the status. */
    const fromPage = (p: Page, url: string, form?: Record<string, string>) =>
      p.evaluate(
        async ({ url, form }) => {
          const r = await fetch(url, form ? { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' } : { redirect: 'manual' });
          return { status: r.status, text: r.type === 'opaqueredirect' ? '' : await r.text() };
        },
        { url, form },
      );
    const { dev, id } = await enroll();
    t.equal((await dev.checkin({ user: { token: await token(aOid, 'alice@contoso.com') } })).outcome, 'complete');
    const admin = await signedIn('admin', { at: false });
    const page = admin.page;
    // The page's clock is the test's to move: device.js polls every 5 s, and the test need not wait them out.
    await admin.context.clock.install();
    const name = dev.tree.read('./DevDetail/Ext/Microsoft/DNSComputerName')?.data ?? '';
    t.match(name, /^DESKTOP-/, 'the name the admin types');

    await t.test('signed in now: updates without a reload when another user signs in', async (t) => {
      await page.goto(`${base}/console/devices/${id}`);
      t.equal(await page.locator('h1').textContent(), name, 'the device name heads the page');
      const now = page.locator('[data-part="now"] .signed-in-user');
      t.equal(await now.textContent(), 'alice@contoso.com is signed in.');
      t.equal(await page.locator('[data-part="history"] tbody tr').count(), 1);
      await look(page, 'page');
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      t.equal((await dev.checkin({ user: { token: await token(bOid, 'bob@contoso.com') } })).outcome, 'complete');
      await page.clock.runFor(5_000);
      await page.locator('[data-part="now"] .signed-in-user', { hasText: 'bob@contoso.com is signed in.' }).waitFor({ timeout: 20_000 });
      t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the same page: not reloaded');
      t.equal(await page.locator('[data-part="history"] tbody tr').count(), 2, 'the history has both users');
      t.match(await page.locator('[data-part="history"] tbody tr').first().textContent(), /bob@contoso\.com\s*now/, 'Bob marked as now');
      t.equal((await dev.checkin({ user: null })).outcome, 'complete');
      await page.clock.runFor(5_000);
      await page.locator('[data-part="now"] .signed-in-user', { hasText: 'Nobody is signed in.' }).waitFor({ timeout: 20_000 });
      const live = await fromPage(page, `${base}/console/devices/${id}/live`);
      t.equal(live.status, 200);
      t.notMatch(live.text, /<html/, 'the live part is a fragment');
      await look(page, 'page-nobody');
    });

    await t.test('an admin queues a wipe through its confirmation', async (t) => {
      await page.goto(`${base}/console/devices/${id}`);
      await page.getByRole('link', { name: 'Wipe…' }).click();
      await page.waitForURL(new RegExp(`/console/devices/${id}/wipe$`));
      t.match(await page.locator('h1').textContent(), new RegExp(`Wipe ${name}\\?`));
      await look(page, 'wipe-confirm');
      const field = page.getByLabel(/Type the device name/);
      await field.fill('DESKTOP-WRONG');
      await page.getByRole('button', { name: `Wipe ${name}` }).click();
      t.equal(await field.getAttribute('aria-invalid'), 'true', 'a wrong name is refused at the field');
      t.match(await page.locator('#f-confirm-error').textContent(), new RegExp(`type ${name} exactly`));
      t.equal((await s.admin('GET', `/api/v1/devices/${id}/commands`)).json.commands.filter((c: any) => c.action === 'wipe').length, 0, 'nothing queued');
      await look(page, 'wipe-wrong-name');
      await field.fill(name);
      await page.getByRole('button', { name: `Wipe ${name}` }).click();
      await page.waitForURL(new RegExp(`/console/devices/${id}$`));
      t.match(await page.locator('.flash').textContent(), /Wipe queued/);
      const row = page.locator('tr[data-action="wipe"]');
      t.equal(await row.getAttribute('data-state'), 'queued', 'the command list shows it queued');
      const r = await dev.checkin();
      t.ok(
        r.execs.some((x) => /RemoteWipe\/doWipe/.test(x.target)),
        'the device is told to wipe',
      );
      await page.reload();
      t.equal(await page.locator('tr[data-action="wipe"]').getAttribute('data-state'), 'acked', 'then shows it done');
      const audit = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries;
      t.ok(
        audit.some((e: any) => e.action === 'device.wipe' && e.actor.includes(admin.admin.username)),
        'the audit log names the admin',
      );
    });

    await t.test('a helpdesk admin cannot wipe: no button, and the server refuses a forged POST', async (t) => {
      const other = await enroll();
      // A narrow window: the page reflows (tables scroll in their box).
      const helpdesk = await signedIn('helpdesk', { width: 420, at: `/console/devices/${other.id}` });
      const hp = helpdesk.page;
      t.equal(await hp.locator('[data-device-action="wipe"]').count(), 0, 'no wipe button');
      t.equal(await hp.locator('[data-device-action="retire"]').count(), 0, 'no retire button');
      t.equal(await hp.locator('[data-device-action="revoke"]').count(), 0, 'no revoke button');
      t.equal(await hp.locator('[data-device-action="sync"]').count(), 1, 'sync is offered');
      await look(hp, 'helpdesk-narrow');
      t.ok(await hp.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling of the page');
      const csrf = await hp.locator('input[name="_csrf"]').first().inputValue();
      const otherName = (await hp.locator('h1').textContent()) ?? '';
      const forged = await fromPage(hp, `${base}/console/devices/${other.id}/wipe`, { _csrf: csrf, confirm: otherName });
      t.equal(forged.status, 403, 'the wipe POST is refused');
      const confirmPage = await fromPage(hp, `${base}/console/devices/${other.id}/wipe`);
      t.equal(confirmPage.status, 403, 'so is the confirmation page');
      t.equal(
        (await s.admin('GET', `/api/v1/devices/${other.id}/commands`)).json.commands.filter((c: any) => c.action === 'wipe').length,
        0,
        'nothing was queued',
      );
      const noCsrf = await fromPage(hp, `${base}/console/devices/${other.id}/sync`, { _csrf: 'wrong' });
      t.equal(noCsrf.status, 403, 'a sync without the CSRF token is refused');
      await hp.getByRole('button', { name: 'Sync', exact: true }).click();
      await hp.waitForURL(new RegExp(`/console/devices/${other.id}$`));
      t.match(await hp.locator('.flash').textContent(), /Sync queued/);
      t.equal(await hp.locator('tr[data-action="sync"]').count(), 1, 'the sync is listed');
      t.equal(await hp.locator('tr[data-action="sync"] button', { hasText: 'Cancel' }).count(), 1, 'and can be cancelled');
      await hp.locator('tr[data-action="sync"] button', { hasText: 'Cancel' }).click();
      await hp.waitForURL(new RegExp(`/console/devices/${other.id}$`));
      t.equal(await hp.locator('tr[data-action="sync"]').getAttribute('data-state'), 'cancelled');
      await helpdesk.context.close();
    });

    await t.test('revoke after retire, in French', async (t) => {
      const third = await enroll();
      const fr = await signedIn('admin', { lang: 'fr', at: `/console/devices/${third.id}` });
      const p = fr.page;
      t.equal(await p.locator('html').getAttribute('lang'), 'fr');
      await look(p, 'page-fr');
      await p.getByRole('link', { name: 'Révoquer…' }).click();
      const label = (await p.locator('h1').textContent())!.replace(/^Révoquer (.*) \?$/, '$1');
      await p.getByLabel("Retirer d'abord, révoquer quand l'appareil a répondu").check();
      await p.getByLabel(/Tapez le nom de l'appareil/).fill(label);
      await look(p, 'revoke-confirm-fr');
      await p.getByRole('button', { name: `Révoquer ${label}` }).click();
      await p.waitForURL(new RegExp(`/console/devices/${third.id}$`));
      t.match(await p.locator('.flash').textContent(), /sera révoqué/);
      const d = (await s.admin('GET', `/api/v1/devices/${third.id}`)).json;
      t.ok(d.revokeAfter?.command, 'the revocation waits for the retire');
      t.equal(await p.locator('tr[data-action="retire"]').getAttribute('data-state'), 'queued');
      await fr.context.close();
    });
  });
