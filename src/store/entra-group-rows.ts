// Entra groups (issue #14): the row mapping and the membership diff both backends share.
import type { EntraGroup, EntraGroupMember } from '../domain/profile.js';
import { opt, type Row } from './rows.js';

export const entraGroupFromRow = (r: Row): EntraGroup => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  displayName: opt(r.display_name),
  kind: opt(r.kind) as EntraGroup['kind'],
  nested: Number(r.nested) === 1,
  deltaLink: opt(r.delta_link),
  memberCount: Number(r.member_count),
  lastSyncAt: opt(r.last_sync_at),
  lastError: opt(r.last_error),
  lastErrorAt: opt(r.last_error_at),
  createdAt: String(r.created_at),
});

/** What replacing `current` (object ID → principal) by `next` changes, and the principals whose stamps move. */
export function membershipDiff(current: Map<string, string>, next: EntraGroupMember[]): { add: EntraGroupMember[]; remove: string[]; principals: string[] } {
  const add: EntraGroupMember[] = [];
  const remove: string[] = [];
  const principals = new Set<string>();
  const seen = new Set<string>();
  for (const m of next) {
    if (seen.has(m.objectId)) continue;
    seen.add(m.objectId);
    const was = current.get(m.objectId);
    if (was === m.principal) continue;
    if (was !== undefined) {
      remove.push(m.objectId);
      principals.add(was);
    }
    add.push(m);
    principals.add(m.principal);
  }
  for (const [objectId, principal] of current) {
    if (seen.has(objectId)) continue;
    remove.push(objectId);
    principals.add(principal);
  }
  return { add, remove, principals: [...principals] };
}

/** A delta round's changes against `current`: only real changes (an add of a member already in, a removal of one not in, are no-ops). */
export function deltaDiff(
  current: Map<string, string>,
  added: EntraGroupMember[],
  removed: string[],
): { add: EntraGroupMember[]; remove: string[]; principals: string[] } {
  const add: EntraGroupMember[] = [];
  const remove: string[] = [];
  const principals = new Set<string>();
  const state = new Map(current);
  for (const objectId of removed) {
    const was = state.get(objectId);
    if (was === undefined) continue;
    state.delete(objectId);
    remove.push(objectId);
    principals.add(was);
  }
  for (const m of added) {
    const was = state.get(m.objectId);
    if (was === m.principal) continue;
    if (was !== undefined) {
      remove.push(m.objectId);
      principals.add(was);
    }
    state.set(m.objectId, m.principal);
    add.push(m);
    principals.add(m.principal);
  }
  return { add, remove, principals: [...principals] };
}
