// The dashboard and the device list in headless chromium: a simulated Windows device enrolls and
// checks in, then shows in the counts, the charts and the recent enrollments, and in the device
// list; with more devices, search and paging work with the keyboard alone; a read-only
// administrator sees the same without actions; a screenshot and an axe-core run per page.
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Locator, Page } from 'playwright-core';
import t from 'tap';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { entraSimDevice } from '../helpers/sim-device.js';

/** Presses Tab until `target` has the focus (the keyboard alone reaches it), at most `max` times. */
async function tabTo(page: Page, target: Locator, max = 200): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${String(target)}`);
}

/** Devices written straight into the server's SQLite store, as the server writes them, named KBD-000… */
function seedDevices(file: string, n: number): void {
  const db = new Database(file);
  const ins = db.prepare(`INSERT INTO devices (id, device_id, enrollment_type, auth_method, upn, device_name, os_version, os_edition, state, enrolled_at,
      updated_at, dm_username, dm_password_digest, dm_server_name, dm_server_digest, dm_nonce, last_seen_at)
    VALUES (?, ?, 'Full', 'entra', ?, ?, '10.0.26100', '48', 'enrolled', ?, ?, ?, 'x', 'fenestra', 'x', 'bm9uY2U=', ?)`);
  const at = Date.now() - 86_400_000 * 3;
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const when = new Date(at + i * 60_000).toISOString();
      ins.run(crypto.randomUUID(), `KBD-${i}`, `kbd${i}@contoso.com`, `KBD-${String(i).padStart(3, '0')}`, when, when, `KBD-${i}`, when);
    }
  })();
  db.close();
}

t.setTimeout(300_000);

t.test('dashboard and device list', { skip: noBrowser }, async (t) => {
  const { server: s, base, signedIn } = await openConsole(t);
  const tid = await s.connectTenant();
  const { context, page } = await signedIn('owner');
  t.teardown(() => context.close());

  t.equal(await page.locator('.card .value').first().textContent(), '0', 'nothing enrolled yet');
  t.match(await page.locator('main').textContent(), /No device has enrolled yet/);

  const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com' });
  await dev.enroll();
  t.equal((await dev.checkin()).outcome, 'complete', 'the device checks in (inventory, last seen)');
  const detail = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json;

  await t.test('the dashboard shows it', async (t) => {
    await page.reload();
    const cards = await page.locator('.card .value').allTextContents();
    t.same(cards, ['1', '1', '0'], 'enrolled 1, seen in 24 h 1, stale 0');
    const builds = page.locator('#chart-builds-title');
    t.equal(await builds.textContent(), `OS builds: ${detail.osBuild}: 1`, 'the OS builds chart, with its text alternative');
    t.match(await page.locator('#chart-editions-title').textContent(), /Editions: Enterprise: 1/);
    t.equal(await page.locator('svg.chart rect.bar').count(), 2, 'one bar per chart');
    const link = page.locator('#h-recent + table a');
    t.equal(await link.textContent(), detail.hostName, 'recent enrollments name it');
    t.equal(await link.getAttribute('href'), `/console/devices/${detail.id}`, 'and link its page');
    t.match(await page.locator('#h-audit + table').textContent(), /tenant\.connect/, 'recent audit events, for an owner');
    await look(page, 'dashboard');
  });

  await t.test('the device list shows it', async (t) => {
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.waitForURL(`${base}/console/devices`);
    t.equal(
      await page
        .locator('caption')
        .textContent()
        .then((x) => x?.trim()),
      '1 devices match.',
    );
    const row = page.locator('tbody tr').first();
    t.match(
      await row.textContent(),
      new RegExp(`${detail.hostName}[\\s\\S]*alice@contoso\\.com[\\s\\S]*${detail.osBuild.replace(/\./g, '\\.')}[\\s\\S]*Enterprise`),
    );
    t.equal(await row.locator('a').getAttribute('href'), `/console/devices/${detail.id}`);
    await look(page, 'devices');
  });

  await t.test('search and paging with the keyboard alone', async (t) => {
    seedDevices(path.join(s.dir, 'data', 'fenestra.db'), 60);
    await page.goto(`${base}/console/devices`);
    await tabTo(page, page.getByLabel('Search', { exact: true }));
    await page.keyboard.type('kbd-0');
    await Promise.all([page.waitForURL(/q=kbd-0/), page.keyboard.press('Enter')]);
    t.equal(
      await page
        .locator('caption')
        .textContent()
        .then((x) => x?.trim()),
      '60 devices match.',
      'the search found the 60',
    );
    t.equal(await page.locator('tbody tr').count(), 50, 'first page: 50');
    const firstPage = await page.locator('tbody tr td:first-child').allTextContents();
    t.equal(firstPage[0].trim(), 'KBD-059', 'newest enrolled first');
    await tabTo(page, page.getByRole('link', { name: 'Next page' }));
    await Promise.all([page.waitForURL(/cursor=/), page.keyboard.press('Enter')]);
    const second = await page.locator('tbody tr td:first-child').allTextContents();
    t.same(
      second.map((x) => x.trim()),
      ['KBD-009', 'KBD-008', 'KBD-007', 'KBD-006', 'KBD-005', 'KBD-004', 'KBD-003', 'KBD-002', 'KBD-001', 'KBD-000'],
      'second page: the last 10',
    );
    t.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0, 'no page after the last');
    await look(page, 'devices-page-2');
    await tabTo(page, page.getByRole('link', { name: 'Previous page' }));
    await Promise.all([page.waitForURL((u) => !u.searchParams.has('cursor')), page.keyboard.press('Enter')]);
    t.same(await page.locator('tbody tr td:first-child').allTextContents(), firstPage, 'back to the first page');
    await tabTo(page, page.getByRole('link', { name: 'Device', exact: true }));
    await Promise.all([page.waitForURL(/sort=hostName/), page.keyboard.press('Enter')]);
    t.equal((await page.locator('tbody tr td:first-child').first().textContent())?.trim(), 'KBD-000', 'sorted by name with the header link');
    t.equal(await page.locator('th[aria-sort="ascending"]').count(), 1, 'the sorted column says so');
    await tabTo(page, page.getByLabel('State'));
    await page.keyboard.press('ArrowDown'); // Enrolled
    await page.keyboard.press('ArrowDown'); // Unenrolled
    await tabTo(page, page.getByRole('button', { name: 'Apply' }));
    await Promise.all([page.waitForURL(/state=unenrolled/), page.keyboard.press('Enter')]);
    t.match(await page.locator('main').textContent(), /No device matches/, 'a filter with no match says so');
    await page.goto(`${base}/console/devices?lastSeenAfter=2026-02-31T99`);
    t.equal(await page.locator('#lastSeenAfter-error').textContent(), 'lastSeenAfter is an ISO 8601 date or date-time (2026-01-31 or 2026-01-31T08:00:00Z)');
    t.equal(await page.locator('#lastSeenAfter').getAttribute('aria-invalid'), 'true', 'a refused filter is shown on its field');
  });

  await t.test('a read-only administrator: the same fleet, no actions, no audit', async (t) => {
    const ro = await signedIn('read-only');
    t.teardown(() => ro.context.close());
    t.same(await ro.page.locator('.card .value').allTextContents(), ['61', '1', '0']);
    t.equal(await ro.page.locator('#h-audit').count(), 0, 'no audit panel without audit.read');
    t.equal(await ro.page.locator('main button, main form[method="post"]').count(), 0, 'no action on the dashboard');
    await look(ro.page, 'dashboard-read-only');
  });
});
