// How compliance reports to Entra ID are going, in words an administrator can act on: for a
// tenant (its last outcome, kept by the outbox: service/compliance/outbox.ts) on the tenant
// page, and for a device (its newest report) on the device page. Microsoft lets only Intune and
// approved MDM applications set a device's isCompliant and isManaged, so a refusal is expected
// until the application is approved: the text says so rather than leaving reports to fail unseen.
import type { ComplianceReporting } from '../../../domain/tenant.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';

const messages = {
  en: {
    title: 'Compliance reported to Entra ID',
    never: 'No compliance report has been sent to Microsoft Graph for this tenant yet.',
    ok: 'Reports reach Microsoft Graph (since {at}).',
    refused: 'Compliance reporting refused by Microsoft Graph (since {at}): {error}',
    refusedHint:
      'Microsoft lets only Intune and approved MDM applications set a device’s compliance, and the application needs Device.ReadWrite.All with admin consent. Until then Entra ID does not see these devices as compliant.',
    devicePending: 'Report to Entra ID: isCompliant {value}, queued {at}, waiting to be sent.',
    deviceRetry: 'Report to Entra ID: will be tried again — {error}',
    deviceSent: 'Reported to Entra ID at {at}: isCompliant {value}.',
    deviceSuperseded: 'Report to Entra ID replaced by a newer one.',
    deviceRefused: 'Compliance reporting refused by Microsoft Graph: {error}',
    deviceFailed: 'Report to Entra ID failed: {error}',
  },
  fr: {
    title: 'Conformité transmise à Entra ID',
    never: "Aucun rapport de conformité n'a encore été envoyé à Microsoft Graph pour ce locataire.",
    ok: 'Les rapports parviennent à Microsoft Graph (depuis {at}).',
    refused: 'Rapports de conformité refusés par Microsoft Graph (depuis {at}) : {error}',
    refusedHint:
      "Microsoft ne laisse qu'Intune et les applications MDM approuvées définir la conformité d'un appareil, et l'application doit avoir Device.ReadWrite.All avec consentement administrateur. D'ici là, Entra ID ne voit pas ces appareils comme conformes.",
    devicePending: "Rapport à Entra ID : isCompliant {value}, mis en file {at}, en attente d'envoi.",
    deviceRetry: 'Rapport à Entra ID : sera réessayé — {error}',
    deviceSent: 'Transmis à Entra ID le {at} : isCompliant {value}.',
    deviceSuperseded: 'Rapport à Entra ID remplacé par un plus récent.',
    deviceRefused: 'Rapport de conformité refusé par Microsoft Graph : {error}',
    deviceFailed: 'Échec du rapport à Entra ID : {error}',
  },
};

/** `{at}` and the other variables of a message, the instant as a <time>, everything escaped. */
function sentence(text: string, vars: Record<string, string | Html>): Html {
  const parts = text.split(/\{(\w+)\}/);
  return html`${parts.map((p, i) => (i % 2 === 1 ? (vars[p] ?? `{${p}}`) : p))}`;
}

/** The tenant page's fragment: how the tenant's reports last went. */
export function tenantComplianceReporting(lang: Lang, tenant: { complianceReporting?: ComplianceReporting }): Html {
  const t = translator(messages, lang);
  const r = tenant.complianceReporting;
  const body = !r
    ? html`<p class="muted">${t('never')}</p>`
    : r.state === 'ok'
      ? html`<p class="ok">${sentence(t('ok'), { at: when(lang, r.at) })}</p>`
      : html`<p class="failed" role="alert">${sentence(t('refused'), { at: when(lang, r.at), error: r.error ?? '' })}</p>
          <p class="hint">${t('refusedHint')}</p>`;
  return html`<section aria-labelledby="h-compliance-reporting" class="panel">
    <h2 id="h-compliance-reporting">${t('title')}</h2>
    ${body}
  </section>`;
}

/** A device's newest report to Entra as the compliance view gives it (service/compliance/view.ts ReportingStatus). */
export interface DeviceReport {
  state: 'pending' | 'sent' | 'superseded' | 'refused' | 'failed';
  isCompliant?: boolean;
  error?: string;
  /** When it was sent, else when it was queued. */
  at: string;
}

/** The device page's line on its report to Entra (for the compliance section); nothing without a report. */
export function deviceComplianceReporting(lang: Lang, r: DeviceReport | undefined): Html {
  if (!r) return html``;
  const t = translator(messages, lang);
  const value = r.isCompliant === undefined ? '—' : String(r.isCompliant);
  const error = r.error ?? '';
  switch (r.state) {
    case 'pending':
      return r.error
        ? html`<p class="pending" data-reporting="retry">${sentence(t('deviceRetry'), { error })}</p>`
        : html`<p class="pending" data-reporting="pending">${sentence(t('devicePending'), { value, at: when(lang, r.at) })}</p>`;
    case 'sent':
      return html`<p class="ok" data-reporting="sent">${sentence(t('deviceSent'), { at: when(lang, r.at), value })}</p>`;
    case 'superseded':
      return html`<p class="muted" data-reporting="superseded">${t('deviceSuperseded')}</p>`;
    case 'refused':
      return html`<p class="failed" role="alert" data-reporting="refused">${sentence(t('deviceRefused'), { error })}</p>
        <p class="hint">${t('refusedHint')}</p>`;
    case 'failed':
      return html`<p class="failed" data-reporting="failed">${sentence(t('deviceFailed'), { error })}</p>`;
  }
}
