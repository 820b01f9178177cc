// Form pieces every console page writes the same way: the CSRF field, and a labelled field whose
// error (a service refusal naming it) is shown next to it and tied to it by aria-describedby.
import { html, type Html } from './html.js';
import type { PageContext } from './page.js';

/** The hidden CSRF field every console form carries. */
export const csrfField = (ctx: Pick<PageContext, 'csrfToken'>): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}" />`;

export interface FieldOptions {
  name: string;
  label: string;
  value?: string;
  type?: 'text' | 'password' | 'search' | 'email' | 'url' | 'number' | 'date';
  error?: string;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
}

/** A labelled input, its hint and its error (role=alert is not used: the page's error summary announces). */
export function field(o: FieldOptions): Html {
  const id = `f-${o.name}`;
  const hintId = o.hint ? `${id}-hint` : undefined;
  const errId = o.error ? `${id}-error` : undefined;
  const described = [hintId, errId].filter(Boolean).join(' ');
  return html`<div class="field${o.error ? ' has-error' : ''}">
    <label for="${id}">${o.label}</label>
    ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
    <input
      id="${id}"
      name="${o.name}"
      type="${o.type ?? 'text'}"
      ${o.type === 'password' ? '' : html`value="${o.value ?? ''}"`}
      ${o.required ? html`required` : ''}
      ${o.autocomplete ? html`autocomplete="${o.autocomplete}"` : ''}
      ${described ? html`aria-describedby="${described}"` : ''}
      ${o.error ? html`aria-invalid="true"` : ''}
    />
    ${o.error ? html`<p class="error" id="${errId}">${o.error}</p>` : ''}
  </div>`;
}

/** Errors that name no field (or a field the form does not show), above the form. */
export function formErrors(errors: Record<string, string> | undefined, shown: string[]): Html | undefined {
  if (!errors) return undefined;
  const rest = Object.entries(errors).filter(([k]) => !shown.includes(k));
  if (rest.length === 0) return undefined;
  return html`<div class="form-errors" role="alert">${rest.map(([, m]) => html`<p>${m}</p>`)}</div>`;
}
