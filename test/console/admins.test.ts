// Administrators and API tokens in a real browser. The owner adds an administrator (a refused
// password shown on its field first), changes the role, disables and enables them, removes
// them, and cannot demote the last owner (the server's message on the page). A helpdesk
// administrator has no Administrators page (not in the navigation, 403 at its address), creates
// an API token whose secret is shown once and works against /api/v1/me, then revokes it (401
// after). The owner sees everyone's tokens. Screenshots and axe on each page.
import t from 'tap';
import { checkA11y, look, noBrowser, openConsole } from '../helpers/browser.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);
  const me = (token: string) =>
    server.request('/api/v1/me', {
      connectTo: { host: '127.0.0.1', port: server.server.adminPort ?? server.server.port },
      headers: { authorization: `Bearer ${token}` },
    });

  const [owner, helpdesk] = await Promise.all([signedIn('owner', { at: '/console/admins' }), signedIn('helpdesk')]);
  t.teardown(() => owner.context.close());
  t.teardown(() => helpdesk.context.close());

  t.test('owner manages administrators', async (t) => {
    const { page } = owner;
    await page.getByRole('heading', { level: 1, name: 'Administrators' }).waitFor();
    t.ok(await page.getByRole('link', { name: owner.admin.username }).isVisible(), 'lists the owner');
    await look(page, 'admins-list');

    // Too short a password: refused on its field.
    await page.getByLabel('User name').fill('carol@contoso.com');
    await page.getByLabel('Display name (optional)').fill('Carol');
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByLabel('Password (optional)').fill('short');
    await page.getByRole('button', { name: 'Add the administrator' }).click();
    await page.locator('#f-password-error').waitFor();
    t.match(await page.locator('#f-password-error').textContent(), /12 characters/);
    t.equal(await page.getByLabel('Password (optional)').getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByLabel('User name').inputValue(), 'carol@contoso.com', 'the rest is kept');
    await checkA11y(page, 'admins-create-error');

    await page.getByLabel('Password (optional)').fill('a long enough password');
    await Promise.all([page.waitForURL(/\/console\/admins\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Add the administrator' }).click()]);
    await page.getByRole('heading', { level: 1, name: 'Administrator carol@contoso.com' }).waitFor();
    await look(page, 'admin-page');

    await page.getByLabel('Role', { exact: true }).selectOption('helpdesk');
    await page.getByRole('button', { name: 'Save the role' }).click();
    await page.locator('.flash').waitFor();
    t.match(await page.locator('.flash').textContent(), 'carol@contoso.com is now helpdesk');

    await page.getByRole('button', { name: 'Disable carol@contoso.com' }).click();
    await page.getByRole('button', { name: 'Enable carol@contoso.com' }).waitFor();
    const list = (await server.admin('GET', '/api/v1/admins')).json as { username: string; role: string; disabled: boolean }[];
    t.match(
      list.find((a) => a.username === 'carol@contoso.com'),
      { role: 'helpdesk', disabled: true },
    );
    await page.getByRole('button', { name: 'Enable carol@contoso.com' }).click();
    await page.getByRole('button', { name: 'Disable carol@contoso.com' }).waitFor();

    await page.getByRole('link', { name: 'Remove the administrator' }).click();
    await page.getByRole('heading', { level: 1, name: 'Remove administrator carol@contoso.com?' }).waitFor();
    await look(page, 'admin-remove');
    await Promise.all([page.waitForURL(/\/console\/admins$/), page.getByRole('button', { name: 'Remove carol@contoso.com' }).click()]);
    t.equal(await page.getByRole('link', { name: 'carol@contoso.com' }).count(), 0, 'removed');

    // The last owner: demoting themselves is refused with the server's message.
    await page.getByRole('link', { name: owner.admin.username }).click();
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Save the role' }).click();
    await page.locator('.form-errors').waitFor();
    t.match(await page.locator('.form-errors').textContent(), /last owner/);
    await look(page, 'admin-last-owner');
    const self = ((await server.admin('GET', '/api/v1/admins')).json as { username: string; role: string }[]).find((a) => a.username === owner.admin.username);
    t.equal(self?.role, 'owner', 'still owner');

    const audit = (await server.admin('GET', '/api/v1/audit?limit=10')).json.entries as { action: string; actor: string }[];
    for (const action of ['admin.create', 'admin.role', 'admin.disable', 'admin.enable', 'admin.remove']) {
      t.ok(
        audit.some((e) => e.action === action && e.actor.includes(owner.admin.username)),
        `${action} audited with the owner's name`,
      );
    }
  });

  t.test('helpdesk: no Administrators page', async (t) => {
    const { page } = helpdesk; // on the dashboard
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.waitFor();
    t.equal(await nav.getByRole('link', { name: 'Administrators' }).count(), 0, 'not in the navigation');
    t.equal(await nav.getByRole('link', { name: 'API tokens' }).count(), 1, 'API tokens is');
    const res = await page.goto(`${base}/console/admins`);
    t.equal(res?.status(), 403, 'refused by the server');
    await look(page, 'admins-forbidden');
  });

  t.test('helpdesk: an API token shown once, used, revoked', async (t) => {
    const { page } = helpdesk;
    await page.goto(`${base}/console/tokens`);
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    t.ok(await page.getByText('No API token yet.').isVisible());
    t.same(
      await page
        .getByLabel('Role', { exact: true })
        .locator('option')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      ['helpdesk', 'read-only'],
      'up to their own role',
    );
    await look(page, 'tokens-empty');

    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Create the token' }).click();
    await page.locator('#f-name-error').waitFor();
    t.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true', 'a name is needed');

    await page.getByLabel('Name', { exact: true }).fill('ci script');
    await page.getByLabel('Role', { exact: true }).selectOption('read-only');
    await page.getByRole('button', { name: 'Create the token' }).click();
    await page.getByRole('heading', { level: 2, name: 'Your new token' }).waitFor();
    const secret = (await page.locator('#new-token').textContent())?.trim() ?? '';
    t.match(secret, /^fen_[A-Za-z0-9]+_[A-Za-z0-9_-]+$/, 'the secret is shown');
    t.ok(await page.getByRole('button', { name: 'Copy' }).isVisible(), 'with a copy button');
    await look(page, 'tokens-created');

    const ok = await me(secret);
    t.equal(ok.status, 200, 'the token works against /api/v1/me');
    t.match(JSON.parse(ok.text()), { name: helpdesk.admin.username, role: 'read-only', via: 'api-token' });

    await page.goto(`${base}/console/tokens`);
    t.equal(await page.locator('#new-token').count(), 0, 'never shown again');
    t.equal(await page.getByText(secret).count(), 0);
    t.ok(await page.getByRole('row', { name: /ci script/ }).isVisible(), 'listed');

    // The owner sees it, with whose it is.
    await owner.page.goto(`${base}/console/tokens`);
    const row = owner.page.getByRole('row', { name: /ci script/ });
    await row.waitFor();
    t.match(await row.textContent(), helpdesk.admin.username, "the owner sees everyone's tokens");
    await checkA11y(owner.page, 'tokens-owner');

    await page.getByRole('link', { name: 'Revoke token ci script' }).click();
    await page.getByRole('heading', { level: 1, name: 'Revoke token ci script?' }).waitFor();
    await look(page, 'token-revoke');
    await Promise.all([page.waitForURL(/\/console\/tokens$/), page.getByRole('button', { name: 'Revoke ci script' }).click()]);
    t.match(await page.locator('.flash').textContent(), 'Token ci script was revoked.');
    t.match(await page.getByRole('row', { name: /ci script/ }).textContent(), /revoked/);
    t.equal((await me(secret)).status, 401, 'a revoked token is refused');
  });
}
