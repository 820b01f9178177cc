// Settings validation against the JSON Schemas (Ajv, all errors), reported as JSON pointers into
// the settings. Compiled validators are cached per kind; validation never mutates the input.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { PROFILE_SCHEMAS } from './schemas.js';
import type { ProfileError, ProfileKind } from './types.js';

const ajv = new Ajv({
  allErrors: true,
  discriminator: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  useDefaults: false,
  coerceTypes: false,
  verbose: true,
});
const compiled = new Map<ProfileKind, ValidateFunction>();

function validatorFor(kind: ProfileKind): ValidateFunction {
  let v = compiled.get(kind);
  if (!v) {
    v = ajv.compile(PROFILE_SCHEMAS[kind]);
    compiled.set(kind, v);
  }
  return v;
}

/** JSON-pointer escaping of one property name (RFC 6901). */
export function pointerToken(name: string | number): string {
  return String(name).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Schema errors of `settings` for `kind`, [] when valid. */
export function schemaErrors(kind: ProfileKind, settings: unknown): ProfileError[] {
  const validate = validatorFor(kind);
  if (validate(settings)) return [];
  const out: ProfileError[] = [];
  const seen = new Set<string>();
  const errs = validate.errors ?? [];
  // Pointers that already have a "required" error: a discriminator complaint there adds nothing.
  const requiredAt = new Set(
    errs.filter((e) => e.keyword === 'required').map((e) => `${e.instancePath}/${pointerToken((e.params as { missingProperty: string }).missingProperty)}`),
  );
  for (const e of errs) {
    const mapped = mapError(e, requiredAt);
    if (!mapped) continue;
    const key = mapped.pointer + '\u0000' + mapped.message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(mapped);
  }
  return out;
}

function mapError(e: ErrorObject, requiredAt: Set<string>): ProfileError | undefined {
  const at = e.instancePath;
  switch (e.keyword) {
    case 'if':
      return undefined; // the failing "then" reports the real problem
    case 'required':
      return { pointer: `${at}/${pointerToken((e.params as { missingProperty: string }).missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return {
        pointer: `${at}/${pointerToken((e.params as { additionalProperty: string }).additionalProperty)}`,
        message: 'is not a known setting here',
      };
    case 'enum':
      return { pointer: at, message: `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'discriminator': {
      const p = e.params as { error: string; tag: string; tagValue: unknown };
      const pointer = `${at}/${pointerToken(p.tag)}`;
      if (requiredAt.has(pointer)) return undefined;
      const branches = ((e.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] }).oneOf ?? [])
        .map((b) => b.properties?.[p.tag]?.const)
        .filter((v) => v !== undefined);
      return { pointer, message: `must be one of: ${branches.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'type':
      return { pointer: at, message: `must be ${(e.params as { type: string | string[] }).type}` };
    default:
      return { pointer: at, message: e.message ?? `fails ${e.keyword}` };
  }
}
