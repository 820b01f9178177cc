// The device page's compliance section: the state, since when it fails, and each rule not met
// (or not readable on the device) with what was expected and what the device reported.
import type { DeviceComplianceReply } from '../../../service/compliance/view.js';
import { when } from '../format.js';
import { deviceComplianceReporting } from './compliance-reporting.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';

const messages = {
  en: {
    title: 'Compliance',
    compliant: 'Compliant',
    noncompliant: 'Not compliant',
    inGracePeriod: 'In grace period',
    unknown: 'Unknown',
    none: 'No compliance policy applies to this device.',
    since: 'failing since',
    evaluated: 'evaluated',
    rule: 'Rule',
    expected: 'Expected',
    actual: 'Reported',
    fail: 'not met',
    notReported: 'not reported by the device',
  },
  fr: {
    title: 'Conformité',
    compliant: 'Conforme',
    noncompliant: 'Non conforme',
    inGracePeriod: 'En période de grâce',
    unknown: 'Inconnue',
    none: "Aucune stratégie de conformité ne s'applique à cet appareil.",
    since: 'en échec depuis',
    evaluated: 'évaluée',
    rule: 'Règle',
    expected: 'Attendu',
    actual: 'Signalé',
    fail: 'non respectée',
    notReported: "non signalé par l'appareil",
  },
};

export const complianceTitle = (lang: Lang) => translator(messages, lang)('title');

export function complianceSection(lang: Lang, c: DeviceComplianceReply): Html {
  const t = translator(messages, lang);
  if (!c.policies.length) return html`<p class="muted" data-compliance="none">${t('none')}</p>`;
  return html`<p data-compliance="${c.state}">
      <strong>${t(c.state)}</strong>
      ${c.noncompliantSince ? html` · ${t('since')} ${when(lang, c.noncompliantSince)}` : ''}
      ${c.evaluatedAt ? html` · ${t('evaluated')} ${when(lang, c.evaluatedAt)}` : ''}
    </p>
    ${deviceComplianceReporting(lang, c.reporting)}
    ${
      c.reasons.length
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">${t('rule')}</th>
                <th scope="col">${t('expected')}</th>
                <th scope="col">${t('actual')}</th>
              </tr>
            </thead>
            <tbody>
              ${c.reasons.map(
                (r) =>
                  html`<tr data-rule="${r.rule}">
                    <td>${r.rule} (${r.outcome === 'fail' ? t('fail') : t('unknown')})</td>
                    <td>${r.expected}</td>
                    <td>${r.actual ?? html`<span class="muted">${t('notReported')}</span>`}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : ''
    }`;
}
