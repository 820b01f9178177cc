// The table of audit entries: when, who, what, on which object, and the entry's details. Used by
// the audit log page and a tenant's audit trail.
import type { AuditEntry } from '../../../domain/audit.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, translator } from '../i18n.js';
import { when } from '../format.js';

const messages = {
  en: { at: 'When', actor: 'Who', action: 'Action', target: 'Object', detail: 'Details', none: 'No audit event matches.' },
  fr: { at: 'Quand', actor: 'Qui', action: 'Action', target: 'Objet', detail: 'Détails', none: 'Aucun événement ne correspond.' },
} satisfies Messages<string>;

/** The details as `key: value` pairs (values as compact JSON), long ones cut. */
function details(d: Record<string, unknown> | undefined): Html {
  if (!d || Object.keys(d).length === 0) return html``;
  const text = (v: unknown) => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 199)}…` : s;
  };
  return html`<ul class="detail">
    ${Object.entries(d).map(([k, v]) => html`<li><span class="key">${k}</span>: ${text(v)}</li>`)}
  </ul>`;
}

/** Console pages of the objects entries name (the object may be gone since: its page says so). */
const PAGES: Record<string, string> = {
  tenant: '/console/entra/',
  group: '/console/groups/',
  device: '/console/devices/',
  profile: '/console/profiles/',
  admin: '/console/admins/',
};

const target = (e: AuditEntry): Html => {
  const page = PAGES[e.targetType];
  return page ? html`<a class="id" href="${page}${encodeURIComponent(e.targetId)}">${e.targetId}</a>` : html`<span class="id">${e.targetId}</span>`;
};

export function auditTable(lang: Lang, entries: AuditEntry[], caption: string): Html {
  const tr = translator<keyof typeof messages.en>(messages, lang);
  if (entries.length === 0) return html`<p class="muted">${tr('none')}</p>`;
  return html`<div class="table-wrap">
    <table class="audit">
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">${tr('at')}</th>
          <th scope="col">${tr('actor')}</th>
          <th scope="col">${tr('action')}</th>
          <th scope="col">${tr('target')}</th>
          <th scope="col">${tr('detail')}</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (e) =>
            html`<tr>
              <td>${when(lang, e.at)}</td>
              <td class="actor">${e.actor}</td>
              <td><code>${e.action}</code></td>
              <td>${e.targetType} ${target(e)}</td>
              <td>${details(e.detail)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
