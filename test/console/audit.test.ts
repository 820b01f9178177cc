// Enrollment accounts and the audit log in a real browser. The owner creates an enrollment
// account (a refused password shown on its field first) and deletes one after a confirmation
// naming it; an admin sees the accounts but cannot create or delete them (owner-only, refused by
// the server). The audit log names who did each action, and its filters (actor, action family,
// date range) and paging work. Screenshots and axe on each page.
import type { BrowserContext } from 'playwright-core';
import t from 'tap';
import { checkA11y, look, noBrowser, openConsole } from '../helpers/browser.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  // A browser, a server and several sign-ins (scrypt) on a loaded machine: more than tap's default.
  t.setTimeout(300_000);
  const { server, base, signedIn } = await openConsole(t);

  /** A form post with this context's session cookie, sent from outside the browser (as a forged request would be). */
  const postForm = async (context: BrowserContext, path: string, form: Record<string, string>) => {
    const cookie = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
    return server.request(`${base}${path}`, {
      connectTo: { host: '127.0.0.1', port: server.server.adminPort ?? server.server.port },
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  };
  // The admin's page opens in their test, once the owner has made the accounts.
  const [owner, admin] = await Promise.all([signedIn('owner', { at: '/console/enrollment-accounts' }), signedIn('admin', { at: false })]);
  t.teardown(() => owner.context.close());
  t.teardown(() => admin.context.close());

  t.test('owner: enrollment accounts', async (t) => {
    const { page } = owner;
    await page.getByRole('heading', { level: 1, name: 'Enrollment accounts' }).waitFor();
    t.ok(await page.getByText('No enrollment account yet.').isVisible());
    await look(page, 'accounts-empty');

    await page.getByLabel('Username').fill('alice@contoso.com');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.locator('#f-password-error').waitFor();
    t.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true', 'the password is refused on its field');
    t.equal(await page.getByLabel('Username').inputValue(), 'alice@contoso.com');
    t.equal(await page.getByLabel('Password').inputValue(), '', 'a password is never written back into the page');
    await checkA11y(page, 'accounts-create-error');

    await page.getByLabel('Password').fill('correct horse battery staple');
    await Promise.all([page.waitForURL(/\/console\/enrollment-accounts$/), page.getByRole('button', { name: 'Create the account' }).click()]);
    t.match(await page.locator('.flash').textContent(), 'Enrollment account alice@contoso.com was created.');
    for (const u of ['bob@contoso.com', 'dave/x@contoso.com']) {
      await page.getByLabel('Username').fill(u);
      await page.getByLabel('Password').fill('correct horse battery staple');
      await Promise.all([page.waitForURL(/\/console\/enrollment-accounts$/), page.getByRole('button', { name: 'Create the account' }).click()]);
    }
    await look(page, 'accounts-list');

    await page.getByRole('link', { name: 'Delete enrollment account dave/x@contoso.com' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delete enrollment account dave/x@contoso.com?' }).waitFor();
    await look(page, 'account-delete');
    await Promise.all([page.waitForURL(/\/console\/enrollment-accounts$/), page.getByRole('button', { name: 'Delete dave/x@contoso.com' }).click()]);
    t.match(await page.locator('.flash').textContent(), 'Enrollment account dave/x@contoso.com was deleted.');
    t.same(((await server.admin('GET', '/api/v1/enrollment-accounts')).json as { username: string }[]).map((a) => a.username).sort(), [
      'alice@contoso.com',
      'bob@contoso.com',
    ]);
  });

  t.test('admin: accounts read-only, refused by the server', async (t) => {
    const { page } = admin;
    await page.goto(`${base}/console/enrollment-accounts`);
    await page.getByRole('row', { name: /alice@contoso\.com/ }).waitFor();
    t.equal(await page.getByRole('button', { name: 'Create the account' }).count(), 0, 'no create form');
    t.equal(await page.getByRole('link', { name: /^Delete enrollment account/ }).count(), 0, 'no delete');
    await checkA11y(page, 'accounts-admin');
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const post = await postForm(admin.context, '/console/enrollment-accounts', {
      _csrf: csrf ?? '',
      username: 'mallory@contoso.com',
      password: 'correct horse battery staple',
    });
    t.equal(post.status, 403, 'owner only');
    // And the admin makes a change of their own, for the audit log below.
    t.equal((await server.admin('POST', '/api/v1/groups', { name: 'Admins group', kind: 'user' })).status, 201);
    await page.goto(`${base}/console/groups`);
    await page.getByRole('textbox', { name: 'Name' }).fill('Made by admin');
    await Promise.all([page.waitForURL(/\/console\/groups\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create the group' }).click()]);
  });

  t.test('audit log: who did what, filters, paging', async (t) => {
    const { page } = owner;
    await page.goto(`${base}/console/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const table = page.getByRole('table', { name: 'Audit events, newest first' });
    const rows = async () => table.locator('tbody tr').allTextContents();
    const all = await rows();
    t.ok(
      all.some((r) => r.includes('enrollment-account.create') && r.includes(owner.admin.username)),
      'the owner created the accounts',
    );
    t.ok(
      all.some((r) => r.includes('group.create') && r.includes(admin.admin.username)),
      'the admin created a group',
    );
    t.ok((await table.locator('a[href^="/console/groups/"]').count()) > 0, 'objects link to their pages');
    await look(page, 'audit');

    // By actor: only the admin's entries.
    await page.getByLabel('Who').fill(admin.admin.username);
    await Promise.all([page.waitForURL(/actor=/), page.getByRole('button', { name: 'Filter' }).click()]);
    const byAdmin = await rows();
    t.ok(byAdmin.length > 0);
    for (const r of byAdmin) t.match(r, admin.admin.username);

    // By action family, with the actor cleared.
    await page.getByLabel('Who').fill('');
    await page.getByLabel('Action').fill('enrollment-account');
    await Promise.all([page.waitForURL(/action=enrollment-account/), page.getByRole('button', { name: 'Filter' }).click()]);
    const accounts = await rows();
    t.equal(accounts.length, 4, 'three creations and a deletion');
    for (const r of accounts) t.match(r, /enrollment-account\.(create|delete)/);
    t.match(accounts[0], /enrollment-account\.delete.*dave\/x@contoso\.com/s);

    // A date range: today (UTC) has them; a range before it has none; a bad range is refused on its field.
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`${base}/console/audit?action=enrollment-account&from=${today}&to=${today}`);
    t.equal((await rows()).length, 4, 'today');
    await page.goto(`${base}/console/audit?action=enrollment-account&from=2020-01-01&to=2020-01-31`);
    t.ok(await page.getByText('No audit event matches.').isVisible(), 'before: none');
    const bad = await page.goto(`${base}/console/audit?from=2026-02-31`);
    t.equal(bad?.status(), 400);
    t.equal(await page.getByLabel('From (day, UTC)').getAttribute('aria-invalid'), 'true', 'the bad date is marked on its field');
    await look(page, 'audit-bad-date');

    // Paging: 60 more entries, 50 a page, the next page continues where the first ended.
    const made: number[] = [];
    for (let i = 0; i < 60; i++) made.push((await server.admin('POST', '/api/v1/groups', { name: `paged-${i}`, kind: 'device' })).status);
    t.ok(
      made.every((s) => s === 201),
      '60 groups created',
    );
    await page.goto(`${base}/console/audit?action=group`);
    const first = await rows();
    t.equal(first.length, 50);
    t.match(first[0], 'paged-59');
    await Promise.all([page.waitForURL(/before=\d+/), page.getByRole('link', { name: 'Older events' }).click()]);
    const second = await rows();
    t.ok(second.length >= 10, 'the rest');
    t.match(second[0], 'paged-9');
    t.match(page.url(), /action=group/, 'the filter is kept');
    await page.getByRole('link', { name: 'Newest events' }).waitFor();
    await look(page, 'audit-page-2');
  });
}
