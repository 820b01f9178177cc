// Settings → Branding in a real browser (#16): an admin reaches it from the navigation, sees that
// nothing is set, types the page and help contacts with an http:// link (refused on that field, what
// was typed kept, nothing stored), fixes it and saves (the API reads back what was typed); a
// helpdesk administrator in French sees the values without the form, and a change forged with
// their session's CSRF token is refused (403). Screenshots and axe on each page.
import t from 'tap';
import type { Page } from 'playwright-core';
import { look, noBrowser, openConsole } from '../helpers/browser.js';

if (noBrowser) {
  t.plan(0, noBrowser);
} else {
  t.setTimeout(240_000);
  const { server, base, signedIn } = await openConsole(t);
  const fromPage = (p: Page, url: string, form: Record<string, string>) =>
    p.evaluate(async ({ url, form }) => (await fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' })).status, { url, form });
  const branding = async () => (await server.admin('GET', '/api/v1/settings/branding')).json.branding;

  t.test('admin: a refused link shown on its field, then saved', async (t) => {
    const { page, context } = await signedIn('admin');
    t.teardown(() => context.close());
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Branding' }).click();
    await page.getByRole('heading', { level: 1, name: 'Branding' }).waitFor();
    t.equal(await nav.getByRole('link', { name: 'Branding' }).getAttribute('aria-current'), 'page');
    t.ok(await page.getByText('Nothing set yet').isVisible());
    await look(page, 'branding-empty');

    await page.getByRole('textbox', { name: 'Title' }).fill('Welcome to Contoso');
    await page.getByRole('textbox', { name: 'Text', exact: true }).fill('Your PC is ready.\nSign in with your work account.');
    await page.getByRole('textbox', { name: 'Link address' }).fill('http://intranet.contoso.com/start');
    await page.getByRole('textbox', { name: 'Link text' }).fill('Getting started');
    await page.getByRole('textbox', { name: 'Phone number' }).fill('+1 425 555 0100');
    await page.getByRole('textbox', { name: 'Website' }).fill('https://help.contoso.com/');
    await page.getByRole('textbox', { name: 'E-mail address' }).fill('help@contoso.com');
    await page.getByRole('button', { name: 'Save the branding' }).click();
    await page.locator('#f-completePageLinkHref-error').waitFor();
    t.match(await page.locator('#f-completePageLinkHref-error').textContent(), /https:\/\//, "the server's refusal, on the field it names");
    t.equal(await page.getByRole('textbox', { name: 'Link address' }).getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByRole('textbox', { name: 'Title' }).inputValue(), 'Welcome to Contoso', 'what was typed is kept');
    t.equal(await page.getByRole('textbox', { name: 'Text', exact: true }).inputValue(), 'Your PC is ready.\nSign in with your work account.');
    t.same(await branding(), {}, 'nothing stored');
    await look(page, 'branding-error');

    await page.getByRole('textbox', { name: 'Link address' }).fill('https://intranet.contoso.com/start');
    await page.getByRole('button', { name: 'Save the branding' }).click();
    await page.locator('.flash').waitFor();
    t.match(await page.locator('.flash').textContent(), 'The branding was saved.');
    t.same(await branding(), {
      completePageTitle: 'Welcome to Contoso',
      completePageText: 'Your PC is ready.\nSign in with your work account.',
      completePageLinkHref: 'https://intranet.contoso.com/start',
      completePageLinkText: 'Getting started',
      helpPhoneNumber: '+1 425 555 0100',
      helpWebsite: 'https://help.contoso.com/',
      helpEmailAddress: 'help@contoso.com',
    });
    t.ok(await page.getByText('Last changed').isVisible());
    t.equal(await page.getByRole('textbox', { name: 'Phone number' }).inputValue(), '+1 425 555 0100', 'the form shows what is stored');
    await look(page, 'branding-saved');

    // Clearing a field: saved without it.
    await page.getByRole('textbox', { name: 'Website' }).fill('');
    await page.getByRole('button', { name: 'Save the branding' }).click();
    await page.locator('.flash').waitFor();
    t.notOk('helpWebsite' in (await branding()), 'the cleared field is gone');
  });

  t.test('helpdesk in French: reads, no form, a forged change refused', async (t) => {
    const { page, context } = await signedIn('helpdesk', { at: '/console/settings/branding', lang: 'fr' });
    t.teardown(() => context.close());
    await page.getByRole('heading', { level: 1, name: 'Personnalisation' }).waitFor();
    t.ok(await page.getByText('Welcome to Contoso').isVisible(), 'the stored title shown');
    t.equal(await page.getByRole('button', { name: 'Enregistrer la personnalisation' }).count(), 0, 'no form');
    await look(page, 'branding-helpdesk-fr');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    t.equal(await fromPage(page, `${base}/console/settings/branding`, { _csrf: csrf, completePageTitle: 'Forged' }), 403);
    t.equal((await branding()).completePageTitle, 'Welcome to Contoso', 'unchanged');
  });
}
