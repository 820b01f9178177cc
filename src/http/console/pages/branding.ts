// Settings → Branding: the page Windows shows at the end of MDM enrollment (title, text, a link)
// and the help contacts under Settings > Accounts > Access work or school. Everyone who reads
// sees them; an admin changes them (service/branding.ts checks and audits; a refusal is shown on
// the field it names, with what was typed kept).
import { can } from '../../../service/admins/capabilities.js';
import { type Branding, BRANDING_FIELDS, BrandingService } from '../../../service/branding.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, fieldErrors, one, type PageContext, type PageResult } from '../page.js';
import { type FieldErrors, formPanel, input, textarea } from './admins-kit.js';

const messages = {
  en: {
    title: 'Branding',
    intro:
      'What Windows shows the people who enroll: the page at the end of enrollment, and the help contacts under Settings > Accounts > Access work or school. Devices get changes in their next session; new enrollments get the page in their provisioning document.',
    pageTitle: 'Enrollment complete page',
    helpTitle: 'Help contacts',
    completePageTitle: 'Title',
    completePageTitleHint: 'At most 100 characters.',
    completePageText: 'Text',
    completePageTextHint: 'At most 1,000 characters; line breaks are kept.',
    completePageLinkHref: 'Link address',
    completePageLinkHrefHint: 'An https:// address (https://intranet.contoso.com/start).',
    completePageLinkText: 'Link text',
    completePageLinkTextHint: 'Needs the link address.',
    helpPhoneNumber: 'Phone number',
    helpPhoneNumberHint: 'Digits, spaces and + ( ) . - / (+1 425 555 0100).',
    helpWebsite: 'Website',
    helpWebsiteHint: 'An https:// address.',
    helpEmailAddress: 'E-mail address',
    current: 'Current settings',
    notSet: 'Not set',
    lastChanged: 'Last changed',
    neverSet: 'Nothing set yet: devices show Windows’ own texts.',
    save: 'Save the branding',
    saved: 'The branding was saved. Devices get it in their next session.',
    emptyHint: 'Leave a field empty to clear it from devices.',
  },
  fr: {
    title: 'Personnalisation',
    intro:
      "Ce que Windows montre aux personnes qui inscrivent un appareil : la page de fin d'inscription, et les contacts d'assistance sous Paramètres > Comptes > Accès Professionnel ou Scolaire. Les appareils reçoivent les changements à leur prochaine session ; les nouvelles inscriptions reçoivent la page dans leur document d'approvisionnement.",
    pageTitle: "Page de fin d'inscription",
    helpTitle: "Contacts d'assistance",
    completePageTitle: 'Titre',
    completePageTitleHint: '100 caractères au plus.',
    completePageText: 'Texte',
    completePageTextHint: '1 000 caractères au plus ; les retours à la ligne sont conservés.',
    completePageLinkHref: 'Adresse du lien',
    completePageLinkHrefHint: 'Une adresse https:// (https://intranet.contoso.com/start).',
    completePageLinkText: 'Texte du lien',
    completePageLinkTextHint: "Demande l'adresse du lien.",
    helpPhoneNumber: 'Numéro de téléphone',
    helpPhoneNumberHint: 'Chiffres, espaces et + ( ) . - / (+33 1 23 45 67 89).',
    helpWebsite: 'Site web',
    helpWebsiteHint: 'Une adresse https://.',
    helpEmailAddress: 'Adresse e-mail',
    current: 'Réglages actuels',
    notSet: 'Non défini',
    lastChanged: 'Dernière modification le',
    neverSet: 'Rien de défini : les appareils affichent les textes de Windows.',
    save: 'Enregistrer la personnalisation',
    saved: 'La personnalisation a été enregistrée. Les appareils la recevront à leur prochaine session.',
    emptyHint: "Laissez un champ vide pour l'effacer des appareils.",
  },
} satisfies Messages<string>;

type Key = keyof typeof messages.en;
const tOf = (lang: Lang) => translator<Key>(messages, lang);

const PAGE_FIELDS = ['completePageTitle', 'completePageText', 'completePageLinkHref', 'completePageLinkText'] as const;
const HELP_FIELDS = ['helpPhoneNumber', 'helpWebsite', 'helpEmailAddress'] as const;

async function brandingPage(ctx: PageContext, deps: ConsoleDeps, form?: { values: Branding; errors: FieldErrors }): Promise<Html> {
  const tr = tOf(ctx.lang);
  const current = await new BrandingService(deps.store).get();
  const values: Branding = form?.values ?? current.branding;
  const write = can(ctx.principal, 'settings.write');
  const summary = html`<section class="panel" aria-labelledby="current-title">
    <h2 id="current-title">${tr('current')}</h2>
    <p class="muted">${current.updatedAt ? html`${tr('lastChanged')} ${when(ctx.lang, current.updatedAt)}.` : tr('neverSet')}</p>
    <dl class="facts">
      ${BRANDING_FIELDS.map(
        (f) =>
          html`<dt>${tr(f)}</dt>
            <dd>${current.branding[f] ?? html`<span class="muted">${tr('notSet')}</span>`}</dd>`,
      )}
    </dl>
  </section>`;
  const hint = (f: Key) => (f + 'Hint' in messages.en ? tr((f + 'Hint') as Key) : undefined);
  const field = (f: (typeof PAGE_FIELDS)[number] | (typeof HELP_FIELDS)[number]) =>
    f === 'completePageText'
      ? textarea({ name: f, label: tr(f), value: values[f] ?? '', hint: hint(f), errors: form?.errors, rows: 4 })
      : input({
          name: f,
          label: tr(f),
          value: values[f] ?? '',
          hint: hint(f),
          errors: form?.errors,
          type: f === 'helpEmailAddress' ? 'email' : f === 'helpPhoneNumber' ? 'tel' : f.endsWith('Href') || f === 'helpWebsite' ? 'url' : 'text',
          autocomplete: 'off',
        });
  const edit = write
    ? formPanel(ctx, {
        id: 'branding',
        title: tr('title'),
        action: '/console/settings/branding',
        errors: form?.errors,
        shown: [...PAGE_FIELDS, ...HELP_FIELDS],
        submit: tr('save'),
        fields: html`<p class="hint">${tr('emptyHint')}</p>
          <fieldset>
            <legend>${tr('pageTitle')}</legend>
            ${PAGE_FIELDS.map(field)}
          </fieldset>
          <fieldset>
            <legend>${tr('helpTitle')}</legend>
            ${HELP_FIELDS.map(field)}
          </fieldset>`,
      })
    : '';
  return layout(ctx, {
    title: tr('title'),
    nav: 'branding',
    body: html`<p>${tr('intro')}</p>
      ${summary}${edit}`,
  });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/settings/branding', 'read', (ctx) => brandingPage(ctx, deps));
  routes.action('/settings/branding', 'settings.write', async (ctx, form): Promise<PageResult> => {
    const values: Record<string, string> = {};
    for (const f of BRANDING_FIELDS) values[f] = one(form, f);
    try {
      await new BrandingService(deps.store).set(values, actorOf(ctx.request));
      return { redirect: '/console/settings/branding', flash: tOf(ctx.lang)('saved') };
    } catch (err) {
      const errors = fieldErrors(err);
      if (!errors) throw err;
      ctx.reply.code(400);
      return brandingPage(ctx, deps, { values, errors });
    }
  });
}
