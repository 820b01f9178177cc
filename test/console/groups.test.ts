// Groups in a real browser: an admin creates a user group (a refused member shown on the members
// field naming its line, then fixed), adds and removes members, and deletes it — refused first
// because a profile is assigned to it (the server's reason shown, naming the profile), then
// deleted anyway, the assignment with it. A read-only administrator sees groups without forms.
// Screenshots and axe on each page.
import t from 'tap';
import { look, noBrowser, openConsole } from '../helpers/browser.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);

  t.test('admin: create, members, delete with dependents', async (t) => {
    const { page, context, admin } = await signedIn('admin', { at: '/console/groups' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    t.ok(await page.getByText('No group yet.').isVisible());
    await look(page, 'groups-empty');

    await page.getByRole('textbox', { name: 'Name' }).fill('Sales');
    await page.getByRole('radio', { name: 'Users' }).check();
    await page.getByRole('textbox', { name: 'Members' }).fill('alice@contoso.com\nnot a user');
    await page.getByRole('button', { name: 'Create the group' }).click();
    await page.locator('#create-members-error').waitFor();
    t.match(await page.locator('#create-members-error').textContent(), /^Line 2: /, 'the refused line is named');
    t.equal(await page.getByRole('textbox', { name: 'Members' }).getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByRole('textbox', { name: 'Name' }).inputValue(), 'Sales', 'what was typed is kept');
    await look(page, 'groups-create-error');
    t.same((await server.admin('GET', '/api/v1/groups')).json, [], 'no group was created');

    await page.getByRole('textbox', { name: 'Members' }).fill('alice@contoso.com\nbob@contoso.com');
    await Promise.all([page.waitForURL(/\/console\/groups\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create the group' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Group Sales' }).waitFor();
    const groupId = page.url().split('/').pop() as string;
    t.same(await page.getByRole('table', { name: 'Members (2)' }).locator('tbody td:first-child').allTextContents(), ['alice@contoso.com', 'bob@contoso.com']);
    await look(page, 'group-page');

    await page.getByRole('textbox', { name: 'Members' }).fill('carol@contoso.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('table', { name: 'Members (3)' }).waitFor();
    await page.getByRole('button', { name: 'Remove bob@contoso.com from Sales' }).click();
    await page.getByRole('table', { name: 'Members (2)' }).waitFor();
    t.same((await server.admin('GET', `/api/v1/groups/${groupId}`)).json.members.sort(), ['alice@contoso.com', 'carol@contoso.com']);

    // A profile assigned to the group: deleting is refused, naming it; then deleted anyway.
    const profile = await server.admin('POST', '/api/v1/profiles', {
      name: 'Sales Wi-Fi',
      kind: 'wifi',
      scope: 'user',
      settings: { ssid: 'Sales', security: 'open' },
    });
    t.equal(profile.status, 201, JSON.stringify(profile.json));
    const assign = await server.admin('POST', `/api/v1/profiles/${profile.json.id}/assignments`, { targetType: 'group', targetId: groupId });
    t.equal(assign.status, 201, JSON.stringify(assign.json));

    await page.getByRole('link', { name: 'Delete the group' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delete group Sales?' }).waitFor();
    await look(page, 'group-delete');
    await page.getByRole('button', { name: 'Delete Sales', exact: true }).click();
    await page.locator('.form-errors').waitFor();
    const refusal = await page.locator('.form-errors').textContent();
    t.match(refusal, /Sales Wi-Fi/, 'the refusal names the profile assigned');
    t.notMatch(refusal, /force=true/, 'not the API hint');
    await look(page, 'group-delete-dependents');
    t.equal((await server.admin('GET', `/api/v1/groups/${groupId}`)).status, 200, 'still there');

    await Promise.all([page.waitForURL(/\/console\/groups$/), page.getByRole('button', { name: 'Delete Sales anyway' }).click()]);
    t.match(await page.locator('.flash').textContent(), 'Group Sales was deleted.');
    t.equal((await server.admin('GET', `/api/v1/groups/${groupId}`)).status, 404);
    const audit = (await server.admin('GET', '/api/v1/audit?limit=3')).json.entries as { action: string; actor: string; detail?: { forced?: boolean } }[];
    t.match(audit[0], { action: 'group.delete', actor: new RegExp(admin.username), detail: { forced: true } });
  });

  t.test('read-only: groups without forms', async (t) => {
    const g = await server.admin('POST', '/api/v1/groups', { name: 'Lab', kind: 'device' });
    const { page, context } = await signedIn('read-only', { at: '/console/groups' });
    t.teardown(() => context.close());
    await page.getByRole('link', { name: 'Lab' }).click();
    await page.getByRole('heading', { level: 1, name: 'Group Lab' }).waitFor();
    t.equal(await page.locator('form[action^="/console/groups"]').count(), 0, 'no forms');
    await look(page, 'group-read-only');
    const res = await page.goto(`${base}/console/groups/${g.json.id}/delete`);
    t.equal(res?.status(), 403);
  });
}
