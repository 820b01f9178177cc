// The tenant page's watched Entra groups (issue #14) in a real browser, against the fake Entra ID
// and Graph: an administrator sees each group a profile is assigned to (display name, object ID,
// kind, members, last sync, last error), adds a member in Graph and syncs it with "Sync now" (the
// new count and a flash saying what changed; audited with the person); a form without the
// session's CSRF token is refused; the page in French; a read-only administrator sees the groups
// without the button. Screenshot and axe on each page.
import crypto from 'node:crypto';
import t from 'tap';
import { look, noBrowser, openConsole } from '../helpers/browser.js';
import { serveGroups } from '../helpers/fake-graph-groups.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const fakes = await startMicrosoftFakes();
  const { entra, graph } = fakes;
  const directory = serveGroups(graph);
  t.teardown(() => fakes.close());
  const { server, signedIn } = await openConsole(t, {
    ...fakes.env,
    FENESTRA_ENTRA_GROUP_SYNC_MINUTES: '0',
  });

  // A tenant with application credentials, a Wi-Fi profile assigned to two Entra groups: one in
  // Graph with two users, one Graph does not know (its next sync refused by Graph, the error kept).
  const { tenantId, connect } = await connectAppTenant(server, entra, ['GroupMember.Read.All']);
  if (connect.status !== 201) throw new Error(JSON.stringify(connect.json));
  const SALES = crypto.randomUUID();
  const GONE = crypto.randomUUID();
  directory.addGroup(SALES, 'Sales staff');
  directory.addMember(SALES, { type: 'user', id: crypto.randomUUID() });
  directory.addMember(SALES, { type: 'user', id: crypto.randomUUID() });
  const profile = await server.admin('POST', '/api/v1/profiles', {
    name: 'Sales Wi-Fi',
    kind: 'wifi',
    scope: 'user',
    settings: { ssid: 'Sales', security: 'open' },
  });
  for (const g of [SALES, GONE]) await server.admin('POST', `/api/v1/profiles/${profile.json.id}/assignments`, { targetType: 'entraGroup', targetId: g });
  // Each first assignment starts a sync in the background: wait for both results.
  for (;;) {
    const listed = (await server.admin('GET', `/api/v1/tenants/${tenantId}/groups`)).json as { lastSyncAt?: string; lastError?: string }[];
    if (listed.length === 2 && listed.every((g) => g.lastSyncAt || g.lastError)) break;
    await new Promise((r) => setImmediate(r));
  }
  // Graph refuses the next sync of the unknown group: its error is kept and shown.
  graph.throttle(1, undefined, 403);
  const refused = await server.admin('POST', `/api/v1/tenants/${tenantId}/groups/sync`, { groupId: GONE });
  if (!refused.json.results?.[0]?.error) throw new Error(`the sync was not refused: ${JSON.stringify(refused.json)}`);
  const at = `/console/entra/${tenantId}`;

  t.test('admin: the watched groups, Sync now, audited', async (t) => {
    const { page, context, admin } = await signedIn('admin', { at });
    t.teardown(() => context.close());
    const table = page.getByRole('table', { name: 'Entra groups watched for this tenant' });
    await table.waitFor();
    const sales = table.getByRole('row', { name: /Sales staff/ });
    t.same(
      await sales
        .locator('th, td')
        .allTextContents()
        .then((cells) => cells.slice(0, 4).map((c) => c.trim())),
      ['Sales staff', SALES, 'Users', '2'],
      'display name, object ID, kind, members',
    );
    t.equal(await sales.locator('td').nth(3).locator('time').count(), 1, 'last sync shown as a time');
    const gone = table.getByRole('row', { name: new RegExp(GONE) });
    t.match(await gone.locator('th').textContent(), 'Not read yet', 'no display name until a sync succeeds');
    t.equal(await gone.locator('td').nth(4).locator('.failed').count(), 1, 'the last error shown');
    await look(page, 'entra-groups');

    directory.addMember(SALES, { type: 'user', id: crypto.randomUUID() });
    await Promise.all([page.waitForURL(new RegExp(`${at}#entra-groups$`)), page.getByRole('button', { name: 'Sync now Sales staff' }).click()]);
    t.equal((await page.locator('.flash').textContent())?.trim(), 'Entra group Sales staff synced: 1 added, 0 removed.');
    t.equal(
      (
        await table
          .getByRole('row', { name: /Sales staff/ })
          .locator('td')
          .nth(2)
          .textContent()
      )?.trim(),
      '3',
      'the new member count',
    );
    await look(page, 'entra-groups-synced');
    const audit = (await server.admin('GET', '/api/v1/audit?action=entra-group.sync')).json.entries as { actor: string; targetId: string }[];
    t.match(audit[0], { actor: new RegExp(admin.username), targetId: SALES });

    // The same form sent from the page without the session's token.
    const forged = await page.evaluate(
      async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'groupId=x' })).status,
      `${at}/groups/sync`,
    );
    t.equal(forged, 403, 'a form without the session CSRF token is refused');
  });

  t.test('French', async (t) => {
    const { page, context } = await signedIn('admin', { at, lang: 'fr' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 2, name: 'Groupes Entra' }).waitFor();
    t.ok(await page.getByRole('table', { name: 'Groupes Entra suivis pour ce locataire' }).isVisible());
    t.ok(await page.getByRole('button', { name: 'Synchroniser Sales staff' }).isVisible());
    await look(page, 'entra-groups-fr');
  });

  t.test('read-only: the groups without Sync now', async (t) => {
    const { page, context } = await signedIn('read-only', { at });
    t.teardown(() => context.close());
    await page.getByRole('table', { name: 'Entra groups watched for this tenant' }).waitFor();
    t.equal(await page.getByRole('button', { name: /^Sync now/ }).count(), 0);
    await look(page, 'entra-groups-read-only');
  });
}
