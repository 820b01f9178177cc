// Which console role an Entra ID sign-in gets: FENESTRA_CONSOLE_ENTRA_ROLES lists, per role, the
// group object ids and app role values that grant it, e.g.
//   owner=5f1c…-group-id,admin=Fenestra.Admin,helpdesk=Fenestra.Helpdesk,helpdesk=<another group>
// A group object id (a GUID) is looked for in the ID token's `groups` claim only, any other value
// (an app role value) in its `roles` claim only: a group whose name is an app role's value (Entra
// can emit on-premises groups by name) grants nothing. From owner down, the first role with a match
// wins. No match, no sign-in.
import { ADMIN_ROLES, type AdminRole } from '../domain/admin.js';

/** For each role, the claim values that grant it. */
export type EntraRoleMapping = Record<AdminRole, string[]>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Group object ids are GUIDs, compared without regard to case; app role values are compared exactly. */
const normal = (value: string): string => (GUID.test(value) ? value.toLowerCase() : value);

/** Parses `role=value,role=value,...` (a role may appear more than once); problems name the bad entry. */
export function parseEntraRoleMapping(raw: string, name: string, problems: string[]): EntraRoleMapping | undefined {
  const mapping: EntraRoleMapping = { 'read-only': [], helpdesk: [], admin: [], owner: [] };
  const before = problems.length;
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push(`${name} must list at least one role=claim value, e.g. owner=<group object id>,helpdesk=<app role value>`);
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const role = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!(ADMIN_ROLES as readonly string[]).includes(role)) {
      problems.push(`${name}: ${JSON.stringify(role)} is not a role (one of ${ADMIN_ROLES.join(', ')}) in ${JSON.stringify(entry)}`);
      continue;
    }
    if (!value || /\s/.test(value)) {
      problems.push(`${name}: ${JSON.stringify(entry)} needs a group object id or app role value without spaces after '='`);
      continue;
    }
    mapping[role as AdminRole].push(normal(value));
  }
  return problems.length === before ? mapping : undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The role the claims grant (highest first), or undefined when none of them is mapped. Each value is looked for in its own claim. */
export function roleFromClaims(mapping: EntraRoleMapping, claims: { readonly [claim: string]: unknown }): AdminRole | undefined {
  const appRoles = new Set(strings(claims.roles));
  const groups = new Set(
    strings(claims.groups)
      .filter((g) => GUID.test(g))
      .map(normal),
  );
  const held = (v: string) => (GUID.test(v) ? groups.has(v) : appRoles.has(v));
  for (const role of [...ADMIN_ROLES].reverse()) {
    if (mapping[role].some(held)) return role;
  }
  return undefined;
}
