// Enrollment Status Page and day zero in a real browser (#16): an admin creates a policy from the
// ESP page — a refused time-out shown on its field with what was picked kept, then fixed — picking
// the required certificate and Wi-Fi profiles from the list; a simulated Entra-joined device
// enrolls and goes through its device phase; its page shows the day-zero timeline (started, each
// item delivered, finished) and the Day zero page the fleet's p50/p95 and the item that held runs
// back; the policy is edited (target: a group picked from the list) and deleted after a
// confirmation. A helpdesk administrator in French sees the pages without forms, and a change
// forged with their CSRF token is refused (403). Screenshots and axe on each page.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { SimDevice } from '../../src/sim/device.js';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { AUDIENCE } from '../helpers/server.js';

const ROOT_PEM = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-root-ca.pem'), 'utf8');

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);
  const ok = async (method: string, p: string, body?: unknown) => {
    const r = await server.admin(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const fromPage = (p: Page, url: string, form: Record<string, string>) =>
    p.evaluate(async ({ url, form }) => (await fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' })).status, { url, form });
  const root = await ok('POST', '/api/v1/profiles', {
    name: 'Corp root',
    kind: 'certificate',
    scope: 'device',
    settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM },
  });
  const wifi = await ok('POST', '/api/v1/profiles', {
    name: 'Corp Wi-Fi',
    kind: 'wifi',
    scope: 'device',
    settings: { ssid: 'ContosoCorp', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
  });
  await ok('POST', '/api/v1/profiles', {
    name: 'Unrequired',
    kind: 'custom',
    scope: 'device',
    settings: { nodes: [{ locUri: './Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies', format: 'int', value: '1' }] },
  });
  for (const p of [root, wifi]) await ok('POST', `/api/v1/profiles/${p.id}/assignments`, { targetType: 'all' });
  const kiosks = await ok('POST', '/api/v1/groups', { name: 'Kiosks', kind: 'device', members: [] });
  let policyId = '';

  t.test('admin: create a policy, a device goes through it, its timeline and the fleet figures, edit, delete', async (t) => {
    const { page, context } = await signedIn('admin');
    t.teardown(() => context.close());
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Enrollment Status Page' }).click();
    await page.getByRole('heading', { level: 1, name: 'Enrollment Status Page' }).waitFor();
    t.ok(await page.getByText('No Enrollment Status Page policy yet').isVisible());

    await page.getByRole('textbox', { name: 'Name' }).fill('Everyone');
    await page.getByRole('checkbox', { name: 'Corp root (Certificate)' }).check();
    await page.getByRole('checkbox', { name: 'Corp Wi-Fi (Wi-Fi)' }).check();
    await page.getByRole('textbox', { name: 'Time-out (minutes)' }).fill('0');
    await page.getByRole('textbox', { name: 'Error text' }).fill('Call Contoso IT on 555-0100.');
    await page.getByRole('checkbox', { name: 'Keep the user on the page' }).check();
    await page.getByRole('checkbox', { name: 'Offer “Collect logs” on failure' }).check();
    await page.getByRole('button', { name: 'Create the policy' }).click();
    await page.locator('#f-timeoutMinutes-error').waitFor();
    t.match(await page.locator('#f-timeoutMinutes-error').textContent(), /1 to 1440/, "the server's refusal on the field it names");
    t.ok(await page.getByRole('checkbox', { name: 'Corp Wi-Fi (Wi-Fi)' }).isChecked(), 'what was picked is kept');
    t.notOk(await page.getByRole('checkbox', { name: 'Unrequired (Custom)' }).isChecked());
    t.ok(await page.getByRole('checkbox', { name: 'Keep the user on the page' }).isChecked());
    t.same((await ok('GET', '/api/v1/esp-policies')).policies ?? (await ok('GET', '/api/v1/esp-policies')), [], 'nothing created');
    await look(page, 'esp-create-error');

    await page.getByRole('textbox', { name: 'Time-out (minutes)' }).fill('30');
    await Promise.all([page.waitForURL(/\/console\/esp\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create the policy' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Enrollment Status Page policy Everyone' }).waitFor();
    policyId = page.url().split('/').pop() as string;
    const created = await ok('GET', `/api/v1/esp-policies/${policyId}`);
    t.same(created.requiredProfileIds.sort(), [root.id, wifi.id].sort());
    t.same(created.target, { type: 'all' });
    t.equal(created.timeoutMinutes, 30);
    t.equal(created.errorText, 'Call Contoso IT on 555-0100.');
    t.equal(created.blockDevice, true);
    t.equal(created.allowCollectLogs, true);
    t.equal(created.skipUserPhase, false);
    await look(page, 'esp-policy');

    // A device goes through its device phase.
    const tid = await server.connectTenant();
    const dev: SimDevice = new SimDevice({
      url: server.publicUrl,
      ca: server.caPem,
      connectTo: { host: '127.0.0.1', port: server.server.port },
      credential: {
        kind: 'entra',
        token: () => server.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid: crypto.randomUUID(), deviceid: dev.deviceId }),
      },
    });
    await dev.enroll();
    for (let i = 0; i < 4 && !dev.esp.phase()?.serverFinishedAt; i++) t.equal((await dev.checkin()).outcome, 'complete');
    t.ok(dev.esp.phase()?.serverFinishedAt, 'the device was told the server has finished: ' + JSON.stringify(dev.esp.phase()));
    const id = (await ok('GET', '/api/v1/devices?limit=10')).devices.find((d: { deviceId: string }) => d.deviceId === dev.deviceId).id;

    await page.goto(`${base}/console/devices/${id}`);
    const dz = page.getByRole('region', { name: 'Day zero' });
    await dz.waitFor();
    t.ok(await dz.getByRole('heading', { name: 'Device phase' }).isVisible());
    t.match(await dz.locator('.outcome').textContent(), 'Finished');
    t.match(await dz.textContent(), /Policy: Everyone/);
    t.match(await dz.textContent(), /Delivered: Corp root/);
    t.match(await dz.textContent(), /Delivered: Corp Wi-Fi/);
    t.match(await dz.textContent(), /Finished \(ServerHasFinishedProvisioning set\)/);
    await look(page, 'esp-device-timeline');

    await nav.getByRole('link', { name: 'Day zero' }).click();
    await page.getByRole('heading', { level: 1, name: 'Day zero' }).waitFor();
    const devicePhase = page.getByRole('region', { name: 'Device phase' });
    const fleet = await ok('GET', '/api/v1/fleet/day-zero?phase=device');
    t.equal(fleet.runs, 1);
    t.ok(fleet.p50Seconds !== undefined, 'a finished run has a duration');
    t.match(await devicePhase.locator('[data-figure="p50"]').textContent(), /\d+ (s|min)/);
    t.match(await devicePhase.locator('[data-figure="p95"]').textContent(), /\d+ (s|min)/);
    const blocking = await devicePhase.getByRole('table').textContent();
    t.match(blocking, fleet.blocking[0].name, 'the item that held the run back most');
    t.ok(await page.getByRole('region', { name: 'User phase (first sign-in)' }).isVisible());
    await look(page, 'esp-day-zero');

    // Edit: the group, picked from the list; then delete after the confirmation.
    await page.goto(`${base}/console/esp/${policyId}`);
    await page.getByRole('radio', { name: 'A group', exact: true }).check();
    await page.getByRole('combobox', { name: 'Group' }).selectOption({ label: 'Kiosks' });
    await page.getByRole('button', { name: 'Save the policy' }).click();
    await page.locator('.flash').waitFor();
    t.match(await page.locator('.flash').textContent(), 'Policy Everyone was saved.');
    t.same((await ok('GET', `/api/v1/esp-policies/${policyId}`)).target, { type: 'group', id: kiosks.id });
    t.ok(await page.getByRole('definition').filter({ hasText: 'Group Kiosks' }).isVisible());
    await page.getByRole('link', { name: 'Delete' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delete policy Everyone?' }).waitFor();
    await look(page, 'esp-delete');
    await page.getByRole('button', { name: 'Delete Everyone' }).click();
    await page.locator('.flash').waitFor();
    t.match(await page.locator('.flash').textContent(), 'Policy Everyone was deleted.');
    t.equal((await server.admin('GET', `/api/v1/esp-policies/${policyId}`)).status, 404);
  });

  t.test('helpdesk in French: reads, no forms, a forged change refused', async (t) => {
    const p = await ok('POST', '/api/v1/esp-policies', { name: 'Lecture', target: { type: 'all' }, requiredProfileIds: [root.id], timeoutMinutes: 15 });
    const { page, context } = await signedIn('helpdesk', { at: '/console/esp', lang: 'fr' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: "Page d'état de l'inscription" }).waitFor();
    t.ok(await page.getByRole('link', { name: 'Lecture' }).isVisible());
    t.equal(await page.getByRole('button', { name: 'Créer la stratégie' }).count(), 0, 'no create form');
    await look(page, 'esp-helpdesk-fr');
    await page.getByRole('link', { name: 'Lecture' }).click();
    await page.getByRole('heading', { level: 1, name: "Stratégie de page d'état Lecture" }).waitFor();
    t.equal(await page.getByRole('button', { name: 'Enregistrer la stratégie' }).count(), 0, 'no edit form');
    t.ok(await page.getByText('Corp root (Certificat)').isVisible());
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    t.equal(await fromPage(page, `${base}/console/esp`, { _csrf: csrf, name: 'Forged', target: 'all', timeoutMinutes: '10' }), 403);
    t.equal(await fromPage(page, `${base}/console/esp/${p.id}/delete`, { _csrf: csrf }), 403);
    await page.goto(`${base}/console/day-zero`);
    await page.getByRole('heading', { level: 1, name: 'Jour zéro' }).waitFor();
    await look(page, 'day-zero-fr');
  });
}
