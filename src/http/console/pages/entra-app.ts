// The tenant page's MDM application (issue #14): its client ID and credential as facts (a secret
// or private key is never shown back, only its kind, when it was set and a certificate's
// thumbprint), the admin-consent link for the tenant's cloud, and the owner's form to set or
// replace them. The form's refusals land on the field the server names (/credential/secret →
// the secret field), and the secret and private key are never written back into the page.
import type { TenantView } from '../../../service/tenants.js';
import { ApiError } from '../../../service/errors.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import type { Lang, Translate } from '../i18n.js';
import { one, type FormData, type PageContext } from '../page.js';
import { type FieldErrors, formError, formHidden, input, textarea } from './admins-kit.js';
import type { EntraKey } from './entra-text.js';

type T = Translate<EntraKey>;

/** What the form keeps when it comes back with an error: never the secret or the private key. */
interface AppFormValues {
  appClientId: string;
  certificatePem: string;
}

export interface AppFormState {
  values: AppFormValues;
  errors: FieldErrors;
}

const APP_FIELDS = ['appClientId', 'secret', 'certificatePem', 'privateKeyPem'];

/** The tenant's credential in words: kind, when it was set, a certificate's thumbprint and end. */
function credentialFacts(tr: T, lang: Lang, c: TenantView['credential']): Html {
  if (!c) return html`${tr('credentialNone')}`;
  const set = c.setAt
    ? html`${tr(c.kind === 'secret' ? 'secretSetOn' : 'certificateSetOn')} ${when(lang, c.setAt)}`
    : html`${tr(c.kind === 'secret' ? 'secretSet' : 'certificateSet')}`;
  if (c.kind === 'secret') return html`<span id="credential-fact">${set}</span>`;
  return html`<span id="credential-fact">${set}, ${tr('thumbprint')} <code>${c.thumbprint ?? '—'}</code>, ${tr('validUntil')} ${when(lang, c.notAfter)}</span>`;
}

/** The facts' rows about the application, inside the tenant page's <dl>. */
export function applicationFacts(tr: T, lang: Lang, t: TenantView): Html {
  return html`<dt>${tr('appClientId')}</dt>
    <dd>${t.appClientId ? html`<code>${t.appClientId}</code>` : tr('appNone')}</dd>
    <dt>${tr('credential')}</dt>
    <dd>${credentialFacts(tr, lang, t.credential)}</dd>
    <dt>${tr('validationTitle')}</dt>
    <dd>${t.validation ? html`${when(lang, t.validation.at)} — ${t.validation.ok ? tr('validationOk') : tr('validationFailed')}` : tr('notValidated')}</dd>`;
}

/** The owner's section: consent link, validation, and the form setting the application. */
export function applicationSection(
  ctx: PageContext,
  tr: T,
  t: TenantView,
  consent: { url: string; redirectUri: string } | undefined,
  form?: AppFormState,
): Html {
  const v = form?.values ?? { appClientId: t.appClientId ?? '', certificatePem: '' };
  const errors = form?.errors;
  return html`<section aria-labelledby="app-title" class="panel" id="application">
    <h2 id="app-title">${tr('appTitle')}</h2>
    <p>${tr('appIntro')}</p>
    ${
      consent
        ? html`<h3>${tr('consentTitle')}</h3>
            <p>${tr('consentText')}</p>
            <p><a href="${consent.url}" target="_blank" rel="noopener noreferrer" class="consent-url">${consent.url}</a></p>
            <p class="hint">${tr('consentRedirect', { uri: consent.redirectUri })}</p>
            <p class="actions"><a class="button" href="/console/entra/${t.tenantId}/validate">${tr('validateOpen')}</a></p>`
        : ''
    }
    <h3>${tr('appFormTitle')}</h3>
    <form method="post" action="/console/entra/${t.tenantId}/application" novalidate autocomplete="off">
      ${formHidden(ctx, `/console/entra/${t.tenantId}`)} ${formError(errors, APP_FIELDS)}
      ${input({ form: 'app', name: 'appClientId', label: tr('appClientId'), value: v.appClientId, hint: tr('appClientIdHint'), errors, required: true })}
      <fieldset class="field">
        <legend>${tr('credentialLegend')}</legend>
        ${t.credential ? html`<p class="hint">${tr('credentialKeepHint')}</p>` : ''}
        ${input({ form: 'app', name: 'secret', label: tr('secret'), type: 'password', autocomplete: 'new-password', hint: tr('secretHint'), errors })}
        ${textarea({ form: 'app', name: 'certificatePem', label: tr('certificatePem'), value: v.certificatePem, hint: tr('certificatePemHint'), errors, rows: 4 })}
        ${textarea({ form: 'app', name: 'privateKeyPem', label: tr('privateKeyPem'), hint: tr('privateKeyPemHint'), errors, rows: 4 })}
      </fieldset>
      <div class="actions"><button type="submit" class="primary">${tr('appSave')}</button></div>
    </form>
    ${
      t.appClientId
        ? html`<form method="post" action="/console/entra/${t.tenantId}/application/remove">
            ${formHidden(ctx, `/console/entra/${t.tenantId}`)}
            <div class="actions"><button type="submit" class="danger">${tr('appRemove')}</button></div>
          </form>`
        : ''
    }
  </section>`;
}

/** The change the form asks for, checked for what the console can say better than the API. */
export function applicationPatch(
  form: FormData,
  tr: T,
): {
  values: AppFormValues;
  patch?: { appClientId: string; credential?: { secret: string } | { certificatePem: string; privateKeyPem: string } };
  errors?: FieldErrors;
} {
  const values = { appClientId: one(form, 'appClientId').trim(), certificatePem: one(form, 'certificatePem').trim() };
  const secret = one(form, 'secret').trim();
  const privateKeyPem = one(form, 'privateKeyPem').trim();
  const errors: FieldErrors = {};
  if (!values.appClientId) errors.appClientId = tr('clientIdRequired');
  if (secret && (values.certificatePem || privateKeyPem)) errors[''] = tr('credentialBoth');
  else if (values.certificatePem && !privateKeyPem) errors.privateKeyPem = tr('keyRequired');
  else if (privateKeyPem && !values.certificatePem) errors.certificatePem = tr('certRequired');
  if (Object.keys(errors).length) return { values, errors };
  const credential = secret ? { secret } : values.certificatePem ? { certificatePem: values.certificatePem, privateKeyPem } : undefined;
  return { values, patch: { appClientId: values.appClientId, ...(credential ? { credential } : {}) } };
}

/**
 * A refusal of the application's fields by the service, on the field it names: '/appClientId',
 * '/credential/secret', '/credential/certificatePem', '/credential/privateKeyPem'; '/credential'
 * alone (which kind) above the form. undefined when it is no refusal of the input.
 */
export function applicationRefusal(err: unknown): FieldErrors | undefined {
  if (!(err instanceof ApiError) || err.status >= 500) return undefined;
  const parts = (err.pointer ?? '').split('/').slice(1);
  const field = parts[0] === 'credential' ? (parts[1] ?? '') : (parts[0] ?? '');
  return { [APP_FIELDS.includes(field) ? field : '']: err.message };
}

/** What Entra said when it sent the administrator back from the consent page (?admin_consent, ?error). */
export function consentReturn(tr: T, query: unknown): Html {
  const q = (query ?? {}) as Record<string, unknown>;
  if (String(q.admin_consent ?? '').toLowerCase() === 'true') return html`<p class="notice" role="status" id="consent-return">${tr('consentGranted')}</p>`;
  const code = String(q.error ?? '');
  // The error's description is text anyone can put in a link: only a code that looks like OAuth's is shown.
  if (/^[a-z_]{1,64}$/.test(code)) return html`<p class="notice" role="status" id="consent-return">${tr('consentRefused', { code })}</p>`;
  return html``;
}
