// The profile editor's fields, generated from the kind's JSON Schema (protocol/csp/schemas.ts,
// published as schemas/profiles/*.schema.json), and the way back: the posted form read into
// settings for ProfileService. Strings, numbers and booleans are inputs and selects, enums
// selects, nested objects fieldsets, a discriminated oneOf a select with one fieldset per branch,
// arrays rows (a fixed number of empty ones without JavaScript; profile-editor.js adds and
// removes rows). Secrets are password inputs, never prefilled; left empty when editing, they keep
// the stored value (the mask goes back, ProfileService.change opens the stored one).
//
// Field names are the settings path under "s", dot-separated; a oneOf branch adds "@<tag value>"
// so that each branch's fields have names of their own ("s.eap.@eap-tls.certificateRef"). Error
// pointers from the server ("/eap/certificateRef") are matched against the path without branches.
import { isSecretKey, MASK } from '../../../identity/secret-box.js';
import { html, type Html } from '../html.js';
import { type Lang, type Messages, type Translate, translator } from '../i18n.js';
import { FIELD_LABELS_FR } from './profile-labels.js';

export interface FieldSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, FieldSchema>;
  required?: readonly string[];
  items?: FieldSchema;
  enum?: readonly unknown[];
  const?: unknown;
  oneOf?: readonly FieldSchema[];
  discriminator?: { propertyName: string };
  maxLength?: number;
  if?: FieldSchema;
  then?: FieldSchema;
  else?: FieldSchema;
}

export type FormValues = Record<string, string | string[]>;

const messages = {
  en: {
    required: 'required',
    notSet: '(not set)',
    choose: '(choose)',
    yes: 'Yes',
    no: 'No',
    keep: 'A value is stored: leave empty to keep it.',
    secret: 'Secret: never shown again once saved.',
    row: '{label} {n}',
    add: 'Add {label}',
    remove: 'Remove',
    rows: 'Empty rows are ignored.',
  },
  fr: {
    required: 'obligatoire',
    notSet: '(non défini)',
    choose: '(choisir)',
    yes: 'Oui',
    no: 'Non',
    keep: 'Une valeur est enregistrée : laissez vide pour la garder.',
    secret: 'Secret : jamais réaffiché une fois enregistré.',
    row: '{label} {n}',
    add: 'Ajouter : {label}',
    remove: 'Retirer',
    rows: 'Les lignes vides sont ignorées.',
  },
} satisfies Messages<string>;

/** Empty rows shown after the filled ones (without JavaScript, the only way to add items). */
const EXTRA_ROWS = 2;
/** Strings longer than this may be: a text area. */
const LONG_TEXT = 1000;

/** Words the labels write in capitals (plurals keep a small s). */
const ACRONYMS = new Set(['ssid', 'eap', 'url', 'upn', 'dns', 'id', 'pfx', 'scep', 'vpn', 'mac', 'pin', 'eku', 'l2tp', 'psk', 'ssl', 'uri', 'ca', 'pfs', 'dh']);
const acronym = (w: string): string | undefined => {
  const l = w.toLowerCase();
  if (ACRONYMS.has(l)) return l.toUpperCase();
  if (l.endsWith('s') && ACRONYMS.has(l.slice(0, -1))) return l.slice(0, -1).toUpperCase() + 's';
  return undefined;
};

/** "autoConnect" → "Auto connect", "tenantId" → "Tenant ID". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/\s+/)
    .map((w) => acronym(w) ?? (/[A-Z]{2}/.test(w) ? w : w.toLowerCase()));
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A settings field's label in `lang`: French from profile-labels.ts, English made from the property name. */
export const fieldLabel = (prop: string, lang: Lang): string => (lang === 'fr' ? (FIELD_LABELS_FR[prop] ?? humanize(prop)) : humanize(prop));

/** An element id for a field name (ids must not carry dots or @ for CSS and labels). */
export const idOf = (name: string): string => 'f-' + name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`);

/** A VPN server is a string or an object (if/then/else): the editor offers the string form. */
function resolve(s: FieldSchema): FieldSchema {
  if (s.if && s.then && s.if.type === 'string') return s.then;
  return s;
}

type Shape = 'const' | 'enum' | 'oneOf' | 'object' | 'array' | 'boolean' | 'number' | 'string';

function shapeOf(s: FieldSchema): Shape {
  if (s.const !== undefined) return 'const';
  if (s.enum) return 'enum';
  if (s.oneOf && s.discriminator) return 'oneOf';
  if (s.type === 'object' || s.properties) return 'object';
  if (s.type === 'array') return 'array';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'integer' || s.type === 'number') return 'number';
  return 'string';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The branch of a discriminated oneOf whose tag is `tag`. */
const branchOf = (s: FieldSchema, tag: unknown): FieldSchema | undefined => s.oneOf?.find((b) => b.properties?.[s.discriminator!.propertyName]?.const === tag);

/** A property holds a secret: by its name, or a custom node's value marked secret (as identity/secret-box decides). */
const secretProp = (prop: string, secretSibling: boolean) => isSecretKey(prop) || (prop === 'value' && secretSibling);

// ---------------------------------------------------------------------------------------------
// Rendering

interface RenderCtx {
  t: Translate<keyof (typeof messages)['en']>;
  lang: Lang;
  /** Server errors by settings pointer ("/ssid"); the ones shown are removed. */
  errors: Map<string, string>;
  /** Ids of the fields errors were shown at, by pointer, for the summary's links. */
  shownAt: Map<string, string>;
}

interface FieldArgs {
  s: FieldSchema;
  name: string;
  pointer: string;
  value: unknown;
  label: string;
  required: boolean;
  secret: boolean;
  /** Nesting depth of arrays (the row placeholder of a template at that depth). */
  depth: number;
}

function helpAndError(
  c: RenderCtx,
  id: string,
  pointer: string,
  help: (Html | string | undefined)[],
): { describedBy: string; markup: Html; hint: Html; errorMarkup: Html; error?: string } {
  const error = c.errors.get(pointer);
  if (error !== undefined) {
    c.errors.delete(pointer);
    c.shownAt.set(pointer, id);
  }
  const texts = help.filter((h): h is Html | string => h !== undefined && h !== '');
  const ids = [texts.length ? `${id}-hint` : '', error !== undefined ? `${id}-error` : ''].filter(Boolean).join(' ');
  const hint = texts.length ? html`<p class="hint" id="${id}-hint">${texts.map((x, i) => html`${i ? ' ' : ''}${x}`)}</p>` : html``;
  const errorMarkup = error !== undefined ? html`<p class="error" id="${id}-error">${error}</p>` : html``;
  return { describedBy: ids, error, hint, errorMarkup, markup: html`${hint}${errorMarkup}` };
}

function labelText(c: RenderCtx, label: string, required: boolean): Html {
  return html`${label}${required ? html` <span class="req">(${c.t('required')})</span>` : ''}`;
}

function scalarField(c: RenderCtx, a: FieldArgs, shape: Shape): Html {
  const id = idOf(a.name);
  const s = a.s;
  const extra: string[] = [];
  // Only a stored secret (the mask) can be kept; one typed into a refused form is typed again.
  const stored = a.value === MASK;
  if (a.secret) extra.push(stored ? c.t('keep') : c.t('secret'));
  const he = helpAndError(c, id, a.pointer, [s.description, ...extra]);
  const aria = html`${he.describedBy ? html` aria-describedby="${he.describedBy}"` : ''}${he.error !== undefined ? html` aria-invalid="true"` : ''}${
    a.required ? html` aria-required="true"` : ''
  }`;
  const label = html`<label for="${id}">${labelText(c, a.label, a.required)}</label>`;
  let control: Html;
  if (shape === 'enum' || shape === 'boolean') {
    const options: { value: string; text: string }[] =
      shape === 'boolean'
        ? [
            { value: 'true', text: c.t('yes') },
            { value: 'false', text: c.t('no') },
          ]
        : (s.enum ?? []).map((v) => ({ value: String(v), text: String(v) }));
    const current = a.value === undefined || a.value === null ? '' : String(a.value);
    control = html`<select id="${id}" name="${a.name}" ${aria}>
      <option value="" ${current === '' ? html` selected` : ''}>${a.required ? c.t('choose') : c.t('notSet')}</option>
      ${options.map((o) => html`<option value="${o.value}" ${o.value === current ? html` selected` : ''}>${o.text}</option>`)}
    </select>`;
  } else if (a.secret) {
    control = html`<input id="${id}" name="${a.name}" type="password" autocomplete="new-password" value="" ${aria} />${
        stored ? html`<input type="hidden" name="${a.name}.__kept" value="1" />` : ''
      }`;
  } else if (shape === 'number') {
    const v = a.value === undefined ? '' : String(a.value);
    control = html`<input id="${id}" name="${a.name}" type="text" inputmode="${s.type === 'integer' ? 'numeric' : 'decimal'}" value="${v}" ${aria} />`;
  } else {
    const v = typeof a.value === 'string' ? a.value : a.value === undefined ? '' : JSON.stringify(a.value);
    control =
      (s.maxLength ?? 0) > LONG_TEXT
        ? html`<textarea id="${id}" name="${a.name}" rows="4" spellcheck="false" ${aria}>${v}</textarea>`
        : html`<input id="${id}" name="${a.name}" type="text" spellcheck="false" value="${v}" ${aria} />`;
  }
  return html`<div class="field${he.error !== undefined ? ' has-error' : ''}">${label}${he.hint}${control}${he.errorMarkup}</div>`;
}

function groupHeader(c: RenderCtx, a: FieldArgs, id: string): { open: Html; describedBy: string; error?: string; help: Html } {
  const he = helpAndError(c, id, a.pointer, [a.s.description]);
  return {
    open: html`<legend>${labelText(c, a.label, a.required)}</legend>`,
    describedBy: he.describedBy,
    error: he.error,
    help: he.markup,
  };
}

function objectFields(c: RenderCtx, s: FieldSchema, name: string, pointer: string, value: unknown, depth: number, skip?: string): Html[] {
  const v = isObject(value) ? value : {};
  return Object.entries(s.properties ?? {})
    .filter(([prop, ps]) => prop !== skip && ps.const === undefined)
    .map(([prop, ps]) =>
      field(c, {
        s: ps,
        name: `${name}.${prop}`,
        pointer: `${pointer}/${prop}`,
        value: v[prop],
        label: fieldLabel(prop, c.lang),
        required: (s.required ?? []).includes(prop),
        secret: secretProp(prop, v.secret === true),
        depth,
      }),
    );
}

function fieldset(c: RenderCtx, a: FieldArgs, cls: string, body: Html, attrs: Html = html``): Html {
  const id = idOf(a.name);
  const h = groupHeader(c, a, id);
  return html`<fieldset
    class="${cls}${h.error !== undefined ? ' has-error' : ''}"
    id="${id}"
    ${h.describedBy ? html` aria-describedby="${h.describedBy}"` : ''}${attrs}
  >
    ${h.open}${h.help}${body}
  </fieldset>`;
}

function oneOfField(c: RenderCtx, a: FieldArgs, root: boolean): Html {
  const tag = a.s.discriminator!.propertyName;
  const v = isObject(a.value) ? a.value : {};
  const current = v[tag];
  const branches = a.s.oneOf ?? [];
  const tagSchema: FieldSchema = {
    enum: branches.map((b) => b.properties?.[tag]?.const),
    description: branches
      .map((b) => b.properties?.[tag])
      .filter((p) => p?.description)
      .map((p) => `${String(p!.const)}: ${p!.description}`)
      .join(' '),
  };
  const select = field(c, {
    s: tagSchema,
    name: `${a.name}.${tag}`,
    pointer: `${a.pointer}/${tag}`,
    value: current,
    label: fieldLabel(tag, c.lang),
    required: root || a.required,
    secret: false,
    depth: a.depth,
  });
  const parts = branches.map((b) => {
    const tv = String(b.properties?.[tag]?.const);
    const active = tv === String(current);
    // Errors belong to the branch the admin chose; the others are rendered without them.
    const bc: RenderCtx = active ? c : { ...c, errors: new Map(), shownAt: new Map() };
    const fields = objectFields(bc, b, `${a.name}.@${tv}`, a.pointer, active ? v : undefined, a.depth, tag);
    return html`<fieldset class="branch" data-branch-of="${idOf(`${a.name}.${tag}`)}" data-branch="${tv}" ${fields.length ? '' : html` hidden`}>
      <legend>${fieldLabel(tag, c.lang)}: ${tv}</legend>
      ${fields}
    </fieldset>`;
  });
  if (root) return html`${select}${parts}`;
  return fieldset(c, a, 'object oneof', html`${select}${parts}`);
}

function arrayField(c: RenderCtx, a: FieldArgs): Html {
  const items = resolve(a.s.items ?? { type: 'string' });
  const list = Array.isArray(a.value) ? a.value : [];
  const id = idOf(a.name);
  if (items.enum) {
    // A set of values: one checkbox each.
    const h = groupHeader(c, a, id);
    const boxes = items.enum.map((ev, i) => {
      const bid = `${id}-${i}`;
      const on = list.some((x) => String(x) === String(ev));
      return html`<div class="check">
        <input type="checkbox" id="${bid}" name="${a.name}" value="${String(ev)}" ${on ? html` checked` : ''} /><label for="${bid}">${String(ev)}</label>
      </div>`;
    });
    return html`<fieldset
      class="checks${h.error !== undefined ? ' has-error' : ''}"
      id="${id}"
      ${h.describedBy ? html` aria-describedby="${h.describedBy}"` : ''}
    >
      ${h.open}${h.help}${boxes}
    </fieldset>`;
  }
  const placeholder = `__i${a.depth}__`;
  const numberPlaceholder = `__n${a.depth}__`;
  const row = (index: string, n: string, value: unknown) => {
    const itemArgs: FieldArgs = {
      s: items,
      name: `${a.name}.${index}`,
      pointer: `${a.pointer}/${index}`,
      value,
      label: c.t('row', { label: a.label, n }),
      required: false,
      secret: false,
      depth: a.depth + 1,
    };
    return html`<li class="row">${field(c, itemArgs)}</li>`;
  };
  const rows = [...list, ...Array<undefined>(EXTRA_ROWS).fill(undefined)].map((v, i) => row(String(i), String(i + 1), v));
  // The template's row is rendered without errors (its names never match a pointer).
  const tc: RenderCtx = { ...c, errors: new Map(), shownAt: new Map() };
  const tplRow = html`<li class="row">
    ${field(tc, {
      s: items,
      name: `${a.name}.${placeholder}`,
      pointer: `${a.pointer}/${placeholder}`,
      value: undefined,
      label: c.t('row', { label: a.label, n: numberPlaceholder }),
      required: false,
      secret: false,
      depth: a.depth + 1,
    })}
  </li>`;
  const body = html`<p class="hint">${c.t('rows')}</p>
    <ol class="rows">
      ${rows}
    </ol>
    <template
      data-placeholder="${placeholder}"
      data-number="${numberPlaceholder}"
      data-next="${rows.length}"
      data-add="${c.t('add', {
        label: a.label,
      })}"
      data-remove="${c.t('remove')}"
      >${tplRow}</template
    >`;
  return fieldset(c, a, 'array', body, html` data-array`);
}

function field(c: RenderCtx, a: FieldArgs): Html {
  const s = resolve(a.s);
  const shape = shapeOf(s);
  const args = { ...a, s };
  switch (shape) {
    case 'const':
      return html``;
    case 'oneOf':
      return oneOfField(c, args, false);
    case 'object':
      return fieldset(c, args, 'object', html`${objectFields(c, s, a.name, a.pointer, a.value, a.depth)}`);
    case 'array':
      return arrayField(c, args);
    default:
      return scalarField(c, args, shape);
  }
}

/**
 * The settings fields of a kind's schema, filled with `value` (the masked settings, or what was
 * posted), errors next to the fields they name. `unshown` gets the errors no field took.
 */
export function settingsFields(
  schema: FieldSchema,
  value: unknown,
  lang: Lang,
  errors: Map<string, string>,
): { fields: Html; unshown: Map<string, string>; shownAt: Map<string, string> } {
  const c: RenderCtx = { t: translator(messages, lang), lang, errors: new Map(errors), shownAt: new Map() };
  const root: FieldArgs = { s: schema, name: 's', pointer: '', value, label: '', required: true, secret: false, depth: 0 };
  const fields = shapeOf(schema) === 'oneOf' ? oneOfField(c, root, true) : html`${objectFields(c, schema, 's', '', value, 0)}`;
  return { fields, unshown: c.errors, shownAt: c.shownAt };
}

// ---------------------------------------------------------------------------------------------
// Reading the posted form back

interface Read {
  value: unknown;
  /** The admin entered something here (an empty row or fieldset is left out). */
  given: boolean;
}

const NOTHING: Read = { value: undefined, given: false };

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const every = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Indexes of the rows posted under an array's name, in order. */
function rowIndexes(form: FormValues, name: string): number[] {
  const prefix = `${name}.`;
  const seen = new Set<number>();
  for (const k of Object.keys(form)) {
    if (!k.startsWith(prefix)) continue;
    const m = /^(\d{1,4})(?:\.|$)/.exec(k.slice(prefix.length));
    if (m) seen.add(Number(m[1]));
  }
  return [...seen].sort((x, y) => x - y);
}

function readField(s0: FieldSchema, form: FormValues, name: string, required: boolean, secret: boolean): Read {
  const s = resolve(s0);
  switch (shapeOf(s)) {
    case 'const':
      return { value: s.const, given: false };
    case 'enum': {
      const raw = first(form[name]) ?? '';
      if (raw === '') return NOTHING;
      const match = (s.enum ?? []).find((v) => String(v) === raw);
      return { value: match === undefined ? raw : match, given: true };
    }
    case 'boolean': {
      const raw = first(form[name]) ?? '';
      if (raw === '') return NOTHING;
      return { value: raw === 'true' ? true : raw === 'false' ? false : raw, given: true };
    }
    case 'number': {
      const raw = (first(form[name]) ?? '').trim();
      if (raw === '') return NOTHING;
      // Text that is not a number goes as it is: the server names the field.
      return { value: /^-?\d{1,15}(\.\d{1,15})?$/.test(raw) ? Number(raw) : raw, given: true };
    }
    case 'string': {
      const raw = first(form[name]);
      if (secret) {
        if (raw) return { value: raw, given: true };
        return first(form[`${name}.__kept`]) ? { value: MASK, given: true } : NOTHING;
      }
      if (raw === undefined || raw === '') return required && raw !== undefined ? { value: '', given: false } : NOTHING;
      return { value: raw, given: true };
    }
    case 'array': {
      const items = resolve(s.items ?? { type: 'string' });
      if (items.enum) {
        const picked = every(form[name]).map((raw) => items.enum!.find((v) => String(v) === raw) ?? raw);
        return picked.length ? { value: picked, given: true } : NOTHING;
      }
      const out = rowIndexes(form, name)
        .map((i) => readField(items, form, `${name}.${i}`, false, false))
        .filter((r) => r.given)
        .map((r) => r.value);
      return out.length ? { value: out, given: true } : NOTHING;
    }
    case 'oneOf': {
      const tag = s.discriminator!.propertyName;
      const tv = first(form[`${name}.${tag}`]) ?? '';
      if (tv === '') return NOTHING;
      const b = branchOf(
        s,
        s.oneOf?.map((x) => x.properties?.[tag]?.const).find((c) => String(c) === tv),
      );
      const rest = b ? readObject(b, form, `${name}.@${tv}`, tag).value : {};
      return { value: { [tag]: b?.properties?.[tag]?.const ?? tv, ...rest }, given: true };
    }
    case 'object':
      return readObjectField(s, form, name);
  }
}

function readObject(s: FieldSchema, form: FormValues, name: string, skip?: string): { value: Record<string, unknown>; given: boolean } {
  const out: Record<string, unknown> = {};
  let given = false;
  const secretSibling = first(form[`${name}.secret`]) === 'true';
  for (const [prop, ps] of Object.entries(s.properties ?? {})) {
    if (prop === skip || ps.const !== undefined) continue;
    const r = readField(ps, form, `${name}.${prop}`, (s.required ?? []).includes(prop), secretProp(prop, secretSibling));
    if (r.value !== undefined) out[prop] = r.value;
    given ||= r.given;
  }
  return { value: out, given };
}

function readObjectField(s: FieldSchema, form: FormValues, name: string): Read {
  const r = readObject(s, form, name);
  return r.given ? r : NOTHING;
}

/** The settings a posted editor form describes (only what the admin filled in). */
export function readSettings(schema: FieldSchema, form: FormValues): Record<string, unknown> {
  if (shapeOf(schema) === 'oneOf') {
    const r = readField(schema, form, 's', true, false);
    return isObject(r.value) ? r.value : {};
  }
  return readObject(schema, form, 's').value;
}
