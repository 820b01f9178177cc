// The compliance policy form (create and change): name, grace hours and each rule, parsed into the
// PolicyInput the service takes. The API's schema bounds (lengths, integer ranges) are checked here
// too, since the console calls the service directly; a refusal lands on the field it names
// ('/rules/minOsBuild' → the lowest-build field, '/rules' → the rules' fieldset).
import type { ComplianceRules, CompliancePolicy } from '../../../domain/compliance.js';
import type { PolicyInput } from '../../../service/compliance/policies.js';
import { ApiError, invalid } from '../../../service/errors.js';
import { html, type Html } from '../html.js';
import { type FormData, one } from '../page.js';
import { checkbox, type FieldErrors, input } from './admins-kit.js';
import type { CT } from './compliance-text.js';

const FLAGS = ['bitLocker', 'antivirus', 'antivirusSignatures', 'firewall', 'secureBoot', 'windowsHello'] as const;

/** What the form holds, as typed. */
export type PolicyValues = Record<'name' | 'graceHours' | 'minOsBuild' | 'minTpmVersion' | 'maxDaysSinceCheckIn', string> &
  Record<(typeof FLAGS)[number], boolean>;

/** The fields the form shows an error next to ('rules': the fieldset). */
export const POLICY_FIELDS = ['name', 'graceHours', 'rules', 'minOsBuild', 'minTpmVersion', 'maxDaysSinceCheckIn'];

export function policyValues(p?: CompliancePolicy): PolicyValues {
  const r = p?.rules ?? {};
  return {
    name: p?.name ?? '',
    graceHours: String(p?.graceHours ?? 0),
    minOsBuild: r.minOsBuild ?? '',
    minTpmVersion: r.minTpmVersion ?? '',
    maxDaysSinceCheckIn: r.maxDaysSinceCheckIn === undefined ? '' : String(r.maxDaysSinceCheckIn),
    bitLocker: r.bitLocker === true,
    antivirus: r.antivirus === true,
    antivirusSignatures: r.antivirusSignatures === true,
    firewall: r.firewall === true,
    secureBoot: r.secureBoot === true,
    windowsHello: r.windowsHello === true,
  };
}

export function valuesOf(form: FormData): PolicyValues {
  const flag = (k: string) => one(form, k) === '1';
  return {
    name: one(form, 'name'),
    graceHours: one(form, 'graceHours').trim(),
    minOsBuild: one(form, 'minOsBuild').trim(),
    minTpmVersion: one(form, 'minTpmVersion').trim(),
    maxDaysSinceCheckIn: one(form, 'maxDaysSinceCheckIn').trim(),
    bitLocker: flag('bitLocker'),
    antivirus: flag('antivirus'),
    antivirusSignatures: flag('antivirusSignatures'),
    firewall: flag('firewall'),
    secureBoot: flag('secureBoot'),
    windowsHello: flag('windowsHello'),
  };
}

function integer(tr: CT, v: string, pointer: string, label: string, min: number, max: number): number {
  const n = /^\d{1,6}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw invalid(pointer, tr('notNumber', { field: label, min, max }));
  return n;
}

function text(tr: CT, v: string, pointer: string, label: string, max: number): string {
  if (v.length > max) throw invalid(pointer, tr('tooLong', { field: label, max }));
  return v;
}

/** The form as the service's input (throws a refusal naming the field when a value cannot be one). */
export function policyInput(tr: CT, v: PolicyValues): Required<Pick<PolicyInput, 'name' | 'rules' | 'graceHours'>> {
  const rules: ComplianceRules = {};
  if (v.minOsBuild) rules.minOsBuild = text(tr, v.minOsBuild, '/rules/minOsBuild', tr('minOsBuild'), 32);
  for (const f of FLAGS) if (v[f]) rules[f] = true;
  if (v.minTpmVersion) rules.minTpmVersion = text(tr, v.minTpmVersion, '/rules/minTpmVersion', tr('minTpmVersion'), 16);
  if (v.maxDaysSinceCheckIn) rules.maxDaysSinceCheckIn = integer(tr, v.maxDaysSinceCheckIn, '/rules/maxDaysSinceCheckIn', tr('maxDaysSinceCheckIn'), 1, 3650);
  return {
    name: text(tr, v.name, '/name', tr('name'), 200),
    graceHours: v.graceHours === '' ? 0 : integer(tr, v.graceHours, '/graceHours', tr('graceHours'), 0, 8760),
    rules,
  };
}

/** A refusal of the policy as { field: message }: '/rules/x' on field x, '/rules' on the fieldset; undefined when not a refusal of the input. */
export function policyErrors(err: unknown): FieldErrors | undefined {
  if (!(err instanceof ApiError) || err.status >= 500 || err.status === 404) return undefined;
  const parts = (err.pointer ?? '').split('/').filter(Boolean);
  const field = parts[0] === 'rules' && parts[1] ? parts[1] : (parts[0] ?? '');
  return { [field]: err.message };
}

/** The form's fields (`form`: element id prefix). */
export function policyFields(tr: CT, form: string, v: PolicyValues, errors?: FieldErrors): Html {
  const flag = (name: (typeof FLAGS)[number]) => checkbox({ form, name, label: tr(name), checked: v[name] });
  const rulesError = errors?.rules;
  return html`${input({ form, name: 'name', label: tr('name'), value: v.name, errors, required: true, autocomplete: 'off' })}
    ${input({ form, name: 'graceHours', label: tr('graceHours'), value: v.graceHours, hint: tr('graceHint'), errors, inputmode: 'numeric' })}
    <fieldset class="field${rulesError ? ' has-error' : ''}" ${rulesError ? html` aria-describedby="${form}-rules-error"` : ''}>
      <legend>${tr('rulesLegend')}</legend>
      ${input({ form, name: 'minOsBuild', label: tr('minOsBuild'), value: v.minOsBuild, hint: tr('minOsBuildHint'), errors, autocomplete: 'off' })}
      ${flag('bitLocker')} ${flag('antivirus')} ${flag('antivirusSignatures')} ${flag('firewall')} ${flag('secureBoot')}
      ${input({ form, name: 'minTpmVersion', label: tr('minTpmVersion'), value: v.minTpmVersion, hint: tr('minTpmVersionHint'), errors, autocomplete: 'off' })}
      ${flag('windowsHello')}
      ${input({
        form,
        name: 'maxDaysSinceCheckIn',
        label: tr('maxDaysSinceCheckIn'),
        value: v.maxDaysSinceCheckIn,
        hint: tr('maxDaysHint'),
        errors,
        inputmode: 'numeric',
      })}
      ${rulesError ? html`<p class="error" id="${form}-rules-error">${rulesError}</p>` : ''}
    </fieldset>`;
}
