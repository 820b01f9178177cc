// The file `fenestra apply` reads: tenants, groups (with members), profiles (with assignments).
// Checked in full before anything is read from the server; each error names the path of the
// bad key (profiles[2].assignments[0].group) and its JSON pointer.
import { Ajv, type ErrorObject } from 'ajv';

export interface SpecTenant {
  tenantId: string;
  cloud?: 'standard' | 'gcc-high';
  audiences: string[];
  enrollmentUrl?: string | null;
  remediationUrl?: string | null;
}

export interface SpecGroup {
  name: string;
  kind: 'user' | 'device';
  /** Given: the whole membership (others are removed). Omitted: members are left alone. */
  members?: string[];
}

/**
 * `all`, or one of {user: oid|UPN}, {group: name}, {device: id|DeviceID}, {entraGroup: object ID,
 * tenantId?} (the tenant it is synced from, when several have application credentials).
 */
export type SpecAssignment = 'all' | { user: string } | { group: string } | { device: string } | SpecEntraGroup;

export interface SpecEntraGroup {
  entraGroup: string;
  tenantId?: string;
}

export interface SpecProfile {
  name: string;
  kind: string;
  scope: 'user' | 'device';
  settings: Record<string, unknown>;
  /** Given: the whole list (others are removed). Omitted: assignments are left alone. */
  assignments?: SpecAssignment[];
}

export interface Spec {
  tenants?: SpecTenant[];
  groups?: SpecGroup[];
  profiles?: SpecProfile[];
}

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const nullableUrl = { anyOf: [{ type: 'string', maxLength: 2048 }, { type: 'null' }] } as const;
const one = (key: string) => ({
  type: 'object',
  additionalProperties: false,
  required: [key],
  properties: { [key]: { type: 'string', minLength: 1, maxLength: 256 } },
});

const entraGroup = {
  type: 'object',
  additionalProperties: false,
  required: ['entraGroup'],
  properties: { entraGroup: { type: 'string', minLength: 1, maxLength: 64 }, tenantId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Two assignments naming the same target: Entra group object IDs compare case-insensitively. */
const assignmentKey = (a: SpecAssignment) =>
  typeof a === 'object' && 'entraGroup' in a ? `entraGroup:${a.entraGroup.trim().toLowerCase()}` : JSON.stringify(a);

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenants: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tenantId', 'audiences'],
        properties: {
          tenantId: { type: 'string', minLength: 1, maxLength: 64 },
          cloud: { type: 'string', enum: ['standard', 'gcc-high'] },
          audiences: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 512 } },
          enrollmentUrl: nullableUrl,
          remediationUrl: nullableUrl,
        },
      },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: {
          name,
          kind: { type: 'string', enum: ['user', 'device'] },
          members: { type: 'array', maxItems: 10000, items: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind', 'scope', 'settings'],
        properties: {
          name,
          kind: { type: 'string', enum: ['vpn', 'wifi', 'email', 'certificate', 'hello', 'custom'] },
          scope: { type: 'string', enum: ['user', 'device'] },
          settings: { type: 'object' },
          assignments: {
            type: 'array',
            items: { anyOf: [{ const: 'all' }, one('user'), one('group'), one('device'), entraGroup] },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** A JSON pointer as the path an operator reads in the file: /profiles/0/kind → profiles[0].kind. */
export function readablePath(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  let out = '';
  for (const p of parts) {
    const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `${out ? '.' : ''}${key}`;
  }
  return out || '(top level)';
}

export class SpecError extends Error {
  readonly problems: { pointer: string; message: string }[];
  constructor(problems: { pointer: string; message: string }[]) {
    super(problems.map((p) => `${readablePath(p.pointer)}: ${p.message} (${p.pointer || '/'})`).join('\n'));
    this.problems = problems;
  }
}

function problemOf(e: ErrorObject): { pointer: string; message: string } {
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${e.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: 'unknown key' };
  }
  if (e.keyword === 'required') {
    const key = (e.params as { missingProperty: string }).missingProperty;
    return { pointer: `${e.instancePath}/${key}`, message: 'is required' };
  }
  if (e.keyword === 'enum')
    return { pointer: e.instancePath, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
  return { pointer: e.instancePath, message: e.message ?? 'is invalid' };
}

/** The document as a Spec, or a SpecError listing every problem. */
export function readSpec(doc: unknown): Spec {
  if (doc === null || doc === undefined) return {};
  if (!validate(doc)) {
    const errs = validate.errors ?? [];
    // An assignment that matches none of its forms: one message, not one per form tried.
    const anyOfPaths = new Set(errs.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
    const problems = errs
      .filter((e) => e.keyword === 'anyOf' || ![...anyOfPaths].some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)))
      .map((e) =>
        e.keyword === 'anyOf'
          ? { pointer: e.instancePath, message: 'an assignment is "all" or one of {user: …}, {group: …}, {device: …}, {entraGroup: …, tenantId?: …}' }
          : problemOf(e),
      );
    throw new SpecError(problems);
  }
  const spec = doc as Spec;
  const problems: { pointer: string; message: string }[] = [];
  const unique = <T>(list: T[] | undefined, at: string, key: (x: T) => string, field = '') => {
    const seen = new Map<string, number>();
    list?.forEach((x, i) => {
      const k = key(x);
      const prior = seen.get(k);
      if (prior !== undefined) problems.push({ pointer: `${at}/${i}${field}`, message: `duplicate of ${readablePath(`${at}/${prior}`)}` });
      else seen.set(k, i);
    });
  };
  unique(spec.tenants, '/tenants', (t) => t.tenantId.toLowerCase(), '/tenantId');
  unique(spec.groups, '/groups', (g) => g.name.trim(), '/name');
  unique(spec.profiles, '/profiles', (p) => p.name, '/name');
  spec.profiles?.forEach((p, i) => {
    unique(p.assignments, `/profiles/${i}/assignments`, assignmentKey);
    p.assignments?.forEach((a, j) => {
      if (typeof a === 'object' && 'entraGroup' in a && !GUID.test(a.entraGroup.trim()))
        problems.push({ pointer: `/profiles/${i}/assignments/${j}/entraGroup`, message: 'an Entra group is named by its object ID (a GUID)' });
    });
  });
  if (problems.length) throw new SpecError(problems);
  return spec;
}
