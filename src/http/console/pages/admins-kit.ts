// Form fields, hidden inputs and small renderers the tenant, group, enrollment-account, audit,
// administrator and token pages share. A field with an error says so next to it (aria-invalid,
// aria-describedby), so the message a service gives for a field lands where the admin looks.
import type { FastifyRequest } from 'fastify';
import { csrfField } from '../forms.js';
import { html, type Html } from '../html.js';
import type { Lang } from '../i18n.js';
import type { PageContext } from '../page.js';

/** The hidden inputs of every form: the session's CSRF token, and the page to come back to with a refusal. */
export const formHidden = (ctx: PageContext, back?: string): Html =>
  html`${csrfField(ctx)}${back ? html`<input type="hidden" name="_back" value="${back}" />` : ''}`;

export type FieldErrors = Record<string, string>;

interface FieldBase {
  name: string;
  label: string;
  errors?: FieldErrors;
  hint?: string;
  required?: boolean;
  /** Element id prefix (several forms on one page may have a field of one name). */
  form?: string;
}

const ids = (p: FieldBase) => {
  const id = `${p.form ?? 'f'}-${p.name}`;
  const error = p.errors?.[p.name];
  const described = [p.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, error, described };
};

function around(p: FieldBase, control: Html): Html {
  const { id, error } = ids(p);
  return html`<div class="field${error ? ' has-error' : ''}">
    <label for="${id}">${p.label}</label>
    ${p.hint ? html`<p class="hint" id="${id}-hint">${p.hint}</p>` : ''} ${control} ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </div>`;
}

const aria = (p: FieldBase): Html => {
  const { error, described } = ids(p);
  return html`${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}${p.required ? html` required` : ''}`;
};

export function input(p: FieldBase & { value?: string; type?: string; autocomplete?: string; inputmode?: string; pattern?: string }): Html {
  const { id } = ids(p);
  return around(
    p,
    html`<input
      id="${id}"
      name="${p.name}"
      type="${p.type ?? 'text'}"
      value="${p.value ?? ''}"
      ${p.autocomplete ? html` autocomplete="${p.autocomplete}"` : ''}${
        p.inputmode ? html` inputmode="${p.inputmode}"` : ''
      }${p.pattern ? html` pattern="${p.pattern}"` : ''}${aria(p)}
    />`,
  );
}

export function textarea(p: FieldBase & { value?: string; rows?: number }): Html {
  const { id } = ids(p);
  return around(p, html`<textarea id="${id}" name="${p.name}" rows="${p.rows ?? 3}" ${aria(p)}>${p.value ?? ''}</textarea>`);
}

export function select(p: FieldBase & { value?: string; options: { value: string; label: string }[] }): Html {
  const { id } = ids(p);
  return around(
    p,
    html`<select id="${id}" name="${p.name}" ${aria(p)}>
      ${p.options.map((o) => html`<option value="${o.value}" ${o.value === p.value ? html` selected` : ''}>${o.label}</option>`)}
    </select>`,
  );
}

/** Radio buttons in a fieldset, each with its own explanation. */
export function radios(p: FieldBase & { value?: string; options: { value: string; label: string; hint?: string }[] }): Html {
  const { id, error } = ids(p);
  return html`<fieldset class="field radios${error ? ' has-error' : ''}" ${error ? html` aria-describedby="${id}-error"` : ''}>
    <legend>${p.label}</legend>
    ${p.options.map(
      (o) =>
        html`<div class="radio">
          <label for="${id}-${o.value}"
            ><input
              type="radio"
              id="${id}-${o.value}"
              name="${p.name}"
              value="${o.value}"
              ${o.value === p.value ? html` checked` : ''}${o.hint ? html` aria-describedby="${id}-${o.value}-hint"` : ''}
            />
            ${o.label}</label
          >
          ${o.hint ? html`<p class="hint" id="${id}-${o.value}-hint">${o.hint}</p>` : ''}
        </div>`,
    )}
    ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </fieldset>`;
}

export function checkbox(p: FieldBase & { checked?: boolean; value?: string }): Html {
  const { id } = ids(p);
  return html`<div class="field checkbox">
    <label for="${id}"
      ><input type="checkbox" id="${id}" name="${p.name}" value="${p.value ?? '1'}" ${p.checked ? html` checked` : ''}${aria(p)} /> ${p.label}</label
    >
    ${p.hint ? html`<p class="hint" id="${id}-hint">${p.hint}</p>` : ''}
  </div>`;
}

/** Refusals the form's fields do not show (none named, or one the form has no field for), above it. */
export function formError(errors: FieldErrors | undefined, shown: string[]): Html {
  const rest = Object.entries(errors ?? {}).filter(([k]) => !shown.includes(k));
  return rest.length ? html`<div class="form-errors" role="alert">${rest.map(([, m]) => html`<p>${m}</p>`)}</div>` : html``;
}

/**
 * A form in its own titled panel (create, add): the hidden inputs, the refusals its `shown` fields
 * do not show, the `fields`, and the submit button.
 */
export function formPanel(
  ctx: PageContext,
  o: { id: string; title: string; action: string; errors?: FieldErrors; shown: string[]; fields: Html; submit: string },
): Html {
  return html`<section class="panel" aria-labelledby="${o.id}-title">
    <h2 id="${o.id}-title">${o.title}</h2>
    <form method="post" action="${o.action}" novalidate>
      ${formHidden(ctx)} ${formError(o.errors, o.shown)} ${o.fields}
      <div class="actions"><button type="submit">${o.submit}</button></div>
    </form>
  </section>`;
}

/**
 * A list as a table — its caption for screen readers, `head` the header cells, one row each —
 * or, when there are no rows, a line saying so. `action` adds a last column (its header read by
 * screen readers only) whose cell each row's `cell` gives; pass it only when the viewer may act.
 */
export function listTable<T>(o: {
  caption: string;
  head: Html;
  items: readonly T[];
  row: (item: T) => Html;
  none: string;
  action?: { label: string; cell: (item: T) => Html };
}): Html {
  if (!o.items.length) return html`<p class="muted">${o.none}</p>`;
  const action = o.action;
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        ${o.caption}
      </caption>
      <thead>
        <tr>
          ${o.head}${action ? html`<th scope="col"><span class="visually-hidden">${action.label}</span></th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${o.items.map(
          (x) =>
            html`<tr>
              ${o.row(x)}${action ? html`<td>${action.cell(x)}</td>` : ''}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** A refusal the server gave (a sentence), above the form it concerns. */
export const refusalBox = (message: string): Html => html`<div class="form-errors" role="alert"><p>${message}</p></div>`;

/**
 * The form of a confirmation page (delete, remove, revoke): its hidden `fields`, the danger button
 * that does it, and Cancel back to `back` — also the page a refusal of the action returns to.
 */
export function confirmForm(ctx: PageContext, o: { action: string; back: string; confirm: string; cancel: string; fields?: Record<string, string> }): Html {
  return html`<form method="post" action="${o.action}">
    ${formHidden(ctx, o.back)} ${Object.entries(o.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <div class="actions">
      <button type="submit" class="danger">${o.confirm}</button>
      <a class="button secondary" href="${o.back}">${o.cancel}</a>
    </div>
  </form>`;
}

/** A route parameter of the request (already decoded by the router). */
export const param = (request: FastifyRequest, name: string): string => (request.params as Record<string, string>)[name] ?? '';

/** Lines of a textarea: trimmed, empty ones dropped. */
export const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** "Line 3: …" for an error the service gave for one item of a list ('/members/2'). */
export function listItemError(pointer: string | undefined, message: string, lang: Lang): string {
  const m = /^\/[^/]+\/(\d+)$/.exec(pointer ?? '');
  if (!m) return message;
  const n = Number(m[1]) + 1;
  return lang === 'fr' ? `Ligne ${n} : ${message}` : `Line ${n}: ${message}`;
}
