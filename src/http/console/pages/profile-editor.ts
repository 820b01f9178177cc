// The profile editor page (new and edit): name, scope and the settings form generated from the
// kind's schema (profile-form.ts). A submission goes through ProfileService, the API's
// validation; a refusal comes back as the same page with the values kept (secrets aside), each
// error next to the field it names and a summary above linking to them.
import { schemaErrors } from '../../../protocol/csp/validate.js';
import { PROFILE_SCHEMAS } from '../../../protocol/csp/schemas.js';
import { PROFILE_KINDS, type ProfileKind } from '../../../protocol/csp/types.js';
import { ApiError } from '../../../service/errors.js';
import { csrfField } from '../forms.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type FormData, one, type PageContext } from '../page.js';
import { type FieldSchema, fieldLabel, readSettings, settingsFields } from './profile-form.js';
import { KIND_DESCRIPTIONS_FR, KIND_TITLES_FR } from './profile-labels.js';

const messages = {
  en: {
    newTitle: 'New {kind}',
    editTitle: 'Edit {name}',
    chooseTitle: 'New profile',
    chooseIntro: 'Choose what the profile sets up:',
    name: 'Name',
    nameHint: 'How the console and the API show this profile (1–200 characters).',
    nameRequired: 'Give the profile a name of 1 to 200 characters.',
    scope: 'Scope',
    scopeHint: 'user: delivered to each user it is assigned to, in their own settings, when they sign in. device: to the device, for everyone.',
    scopeFixed: 'The scope of an existing profile cannot change.',
    scope_user: 'user',
    scope_device: 'device',
    settings: 'Settings',
    create: 'Create the profile',
    save: 'Save a new version',
    cancel: 'Cancel',
    problems: 'The profile was not saved: {n} problem(s) to fix.',
    problemsTitle: 'To fix',
    unknownKind: 'Unknown profile kind.',
    created: 'Profile “{name}” created.',
    saved: 'Profile “{name}” saved as version {version}.',
  },
  fr: {
    newTitle: 'Nouveau : {kind}',
    editTitle: 'Modifier {name}',
    chooseTitle: 'Nouveau profil',
    chooseIntro: 'Choisissez ce que le profil configure :',
    name: 'Nom',
    nameHint: "Le nom que la console et l'API affichent (1 à 200 caractères).",
    nameRequired: 'Donnez au profil un nom de 1 à 200 caractères.',
    scope: 'Portée',
    scopeHint: "user : livré à chaque utilisateur auquel il est attribué, dans ses propres paramètres, à sa connexion. device : à l'appareil, pour tous.",
    scopeFixed: "La portée d'un profil existant ne peut pas changer.",
    scope_user: 'utilisateur (user)',
    scope_device: 'appareil (device)',
    settings: 'Paramètres',
    create: 'Créer le profil',
    save: 'Enregistrer une nouvelle version',
    cancel: 'Annuler',
    problems: "Le profil n'a pas été enregistré : {n} problème(s) à corriger.",
    problemsTitle: 'À corriger',
    unknownKind: 'Type de profil inconnu.',
    created: 'Profil « {name} » créé.',
    saved: 'Profil « {name} » enregistré en version {version}.',
  },
};

const tr = (lang: Lang) => translator(messages, lang);

/** The editor's outcome messages, for the page it redirects to. */
export const editorMessage = (lang: Lang, key: 'created' | 'saved', vars: Record<string, string | number>) => tr(lang)(key, vars);

/** A refusal of the input (4xx other than 404) as its status and { pointer: message }; undefined for anything else. */
export function refusal(err: unknown): { status: number; errors: Map<string, string> } | undefined {
  if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) return undefined;
  return { status: err.status, errors: new Map([[err.pointer ?? '', err.message]]) };
}

export const isKind = (k: string): k is ProfileKind => (PROFILE_KINDS as readonly string[]).includes(k);
/** A kind's title in `lang` (English: its schema's title). */
export const kindTitle = (k: ProfileKind, lang: Lang = 'en'): string =>
  lang === 'fr' ? KIND_TITLES_FR[k] : String((PROFILE_SCHEMAS[k] as { title?: string }).title ?? k);
const schemaOf = (k: ProfileKind) => PROFILE_SCHEMAS[k] as FieldSchema;

export interface EditorState {
  kind: ProfileKind;
  name: string;
  scope: string;
  settings: unknown;
  /** Errors by pointer into the request: '/name', '/scope', '' (the form), or '/settings/…'. */
  errors: Map<string, string>;
}

/** The kinds to choose from, each with its schema's description. */
export function kindChooser(ctx: PageContext): Html {
  const t = tr(ctx.lang);
  return layout(ctx, {
    title: t('chooseTitle'),
    nav: 'profiles',
    body: html`<p>${t('chooseIntro')}</p>
      <ul class="kinds">
        ${PROFILE_KINDS.map(
          (k) =>
            html`<li>
              <a href="/console/profiles/new?kind=${k}">${kindTitle(k, ctx.lang)}</a>
              <p class="hint">${ctx.lang === 'fr' ? KIND_DESCRIPTIONS_FR[k] : String((PROFILE_SCHEMAS[k] as { description?: string }).description ?? '')}</p>
            </li>`,
        )}
      </ul>`,
  });
}

/** "/eap/serverTrust/rootThumbprints/0" → "EAP › Server trust › Root thumbprints › 1" (in `lang`). */
const pointerLabel = (p: string, lang: Lang) =>
  p
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? String(Number(s) + 1) : fieldLabel(s, lang)))
    .join(' › ');

/** The editor page; `profileId` when editing (the kind and scope are then fixed). */
export function editorPage(ctx: PageContext, st: EditorState, profileId?: string): Html {
  const t = tr(ctx.lang);
  const settingsErrors = new Map<string, string>();
  for (const [p, m] of st.errors) if (p === '/settings' || p.startsWith('/settings/')) settingsErrors.set(p.slice('/settings'.length), m);
  const f = settingsFields(schemaOf(st.kind), st.settings, ctx.lang, settingsErrors);
  const nameError = st.errors.get('/name');
  const scopeError = st.errors.get('/scope');
  const summary: { text: string; href?: string }[] = [];
  if (nameError) summary.push({ text: `${t('name')}: ${nameError}`, href: '#f-name' });
  if (scopeError) summary.push({ text: `${t('scope')}: ${scopeError}`, href: '#f-scope' });
  for (const [p, id] of f.shownAt) summary.push({ text: `${pointerLabel(p, ctx.lang)}: ${settingsErrors.get(p)}`, href: `#${id}` });
  for (const [p, m] of f.unshown) summary.push({ text: p ? `${pointerLabel(p, ctx.lang)}: ${m}` : m });
  const formError = st.errors.get('');
  if (formError) summary.push({ text: formError });
  const action = profileId ? `/console/profiles/${encodeURIComponent(profileId)}/edit` : '/console/profiles/new';
  const scopeField = profileId
    ? html`<div class="field">
        <span class="label">${t('scope')}</span>
        <p><strong>${t(st.scope === 'device' ? 'scope_device' : 'scope_user')}</strong> <span class="hint">${t('scopeFixed')}</span></p>
      </div>`
    : html`<div class="field${scopeError ? ' has-error' : ''}">
        <label for="f-scope">${t('scope')}</label>
        <p class="hint" id="f-scope-hint">${t('scopeHint')}</p>
        <select id="f-scope" name="scope" aria-describedby="f-scope-hint${scopeError ? ' f-scope-error' : ''}" ${scopeError ? html` aria-invalid="true"` : ''}>
          ${(['user', 'device'] as const).map((s) => html`<option value="${s}" ${st.scope === s ? html` selected` : ''}>${t(`scope_${s}`)}</option>`)}
        </select>
        ${scopeError ? html`<p class="error" id="f-scope-error">${scopeError}</p>` : ''}
      </div>`;
  const body = html`${
      summary.length
        ? html`<div class="form-errors" role="alert" tabindex="-1" id="form-errors">
            <p>${t('problems', { n: summary.length })}</p>
            <ul>
              ${summary.map((s) => html`<li>${s.href ? html`<a href="${s.href}">${s.text}</a>` : s.text}</li>`)}
            </ul>
          </div>`
        : ''
    }
    <form method="post" action="${action}" class="profile-editor" data-profile-editor novalidate>
      ${csrfField(ctx)}
      <input type="hidden" name="kind" value="${st.kind}" />
      <div class="field${nameError ? ' has-error' : ''}">
        <label for="f-name">${t('name')}</label>
        <p class="hint" id="f-name-hint">${t('nameHint')}</p>
        <input
          id="f-name"
          name="name"
          type="text"
          value="${st.name}"
          aria-describedby="f-name-hint${nameError ? ' f-name-error' : ''}"
          ${nameError ? html` aria-invalid="true"` : ''}
        />
        ${nameError ? html`<p class="error" id="f-name-error">${nameError}</p>` : ''}
      </div>
      ${scopeField}
      <fieldset class="settings">
        <legend>${t('settings')}: ${kindTitle(st.kind, ctx.lang)}</legend>
        ${f.fields}
      </fieldset>
      <div class="buttons">
        <button type="submit">${profileId ? t('save') : t('create')}</button>
        <a href="${profileId ? `/console/profiles/${encodeURIComponent(profileId)}` : '/console/profiles'}">${t('cancel')}</a>
      </div>
    </form>`;
  return layout(ctx, {
    title: profileId ? t('editTitle', { name: st.name }) : t('newTitle', { kind: kindTitle(st.kind, ctx.lang) }),
    nav: 'profiles',
    body,
    scripts: ['profile-editor.js'],
  });
}

/** The editor's posted form: what to send to ProfileService, and the name refused before sending. */
export function readEditor(
  kind: ProfileKind,
  form: FormData,
  lang: Lang,
): { name: string; scope: string; settings: Record<string, unknown>; errors: Map<string, string> } {
  const name = one(form, 'name').trim();
  const errors = new Map<string, string>();
  if (name.length < 1 || name.length > 200) errors.set('/name', tr(lang)('nameRequired'));
  return { name, scope: one(form, 'scope'), settings: readSettings(schemaOf(kind), form), errors };
}

/**
 * A ProfileService refusal as errors by pointer: the one it names, and every schema error of the
 * settings (the service reports the first one's pointer; the page shows them all at their fields).
 * Undefined when it is not a refusal of the input.
 */
export function refusalErrors(err: unknown, kind: ProfileKind, scope: string, settings: unknown): Map<string, string> | undefined {
  if (!refusal(err)) return undefined;
  const e = err as ApiError;
  const out = new Map<string, string>();
  const named = e.pointer ?? '';
  if (named.startsWith('/settings') && (scope === 'user' || scope === 'device')) {
    for (const e of schemaErrors(kind, settings)) if (!out.has(`/settings${e.pointer}`)) out.set(`/settings${e.pointer}`, e.message);
  }
  if (!out.has(named)) {
    // A settings refusal's message lists every problem as "<pointer> <message>; …": this field's part.
    const own = named.startsWith('/settings') ? `${named.slice('/settings'.length) || '/'} ` : undefined;
    const part = own ? e.message.split('; ').find((m) => m.startsWith(own)) : undefined;
    out.set(named, part ? part.slice(own!.length) : e.message);
  }
  return out;
}
