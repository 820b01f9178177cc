// What a profile or group refers to, and what refers to them: the checks that keep the admin from
// saving what devices could never apply (a Hello profile for a tenant that is not connected, two
// mail profiles writing the same EMAIL2 account) and from deleting what others still use (a group
// with assignments, a certificate profile a Wi-Fi or VPN profile takes its certificate from).
import { emailAccountGuid } from '../protocol/csp/index.js';
import type { Store } from '../store/types.js';
import { ApiError } from './errors.js';

/** One thing that depends on another, for a 409 and the audit entry of a forced delete. */
interface Dependent {
  type: 'profile' | 'assignment';
  id: string;
  name?: string;
}

const named = (d: Dependent[]) => d.map((x) => (x.name ? `${x.type} "${x.name}" (${x.id})` : `${x.type} ${x.id}`)).join(', ');

/** 409 naming the dependents; `?force=true` deletes anyway. */
export function dependentsConflict(what: string, dependents: Dependent[]): ApiError {
  return new ApiError(409, 'has_dependents', `${what} is used by ${named(dependents)}; remove them first or delete with ?force=true`);
}

/** Profiles assigned to the group. */
export async function groupDependents(store: Store, groupId: string): Promise<Dependent[]> {
  const profiles = new Map((await store.profiles.list()).map((p) => [p.id, p.name]));
  return (await store.profiles.allAssignments())
    .filter((a) => a.targetType === 'group' && a.targetId === groupId)
    .map((a) => ({ type: 'assignment' as const, id: a.profileId, name: profiles.get(a.profileId) }));
}

/** Live profiles compiled against the certificate `ref` (their compile context holds it). */
export async function certificateDependents(store: Store, ref: string, selfId: string): Promise<Dependent[]> {
  return (await store.profiles.list())
    .filter((p) => p.id !== selfId && !p.deletedAt && p.context && ref in p.context)
    .map((p) => ({ type: 'profile' as const, id: p.id, name: p.name }));
}

/**
 * Settings that name something outside the profile: a Hello profile's tenant must be connected
 * (devices of another tenant never get it, and it would sit "pending" forever); a mail profile's
 * accountId must be its own (two profiles would write one EMAIL2 account, each undoing the other).
 */
export async function checkSettingsReferences(store: Store, kind: string, settings: Record<string, unknown>, selfId?: string): Promise<void> {
  if (kind === 'hello' && typeof settings.tenantId === 'string') {
    if (!(await store.tenants.get(settings.tenantId.toLowerCase()))) {
      throw new ApiError(400, 'invalid', `tenant ${settings.tenantId} is not connected (POST /api/v1/tenants first)`, '/settings/tenantId');
    }
  }
  if (kind === 'email' && typeof settings.accountId === 'string') {
    const mine = emailAccountGuid(settings.accountId);
    for (const p of await store.profiles.list()) {
      if (p.id === selfId || p.kind !== 'email' || p.deletedAt) continue;
      // accountId is not a secret: stored as given.
      const other = p.settings.accountId;
      if (typeof other === 'string' && emailAccountGuid(other) === mine) {
        throw new ApiError(409, 'conflict', `mail profile "${p.name}" (${p.id}) already uses this accountId (EMAIL2 account ${mine})`, '/settings/accountId');
      }
    }
  }
}

const PAGE = 1000;

/**
 * Every member of a device group names an enrolled device: our id or its Windows DeviceID (looked
 * up one by one), or its Entra device ID (one pass over the fleet, only when some are left). A
 * member naming no device would never match one: refused at its place.
 */
export async function checkDevicesExist(store: Store, members: string[]): Promise<void> {
  const left = new Map<string, number>();
  for (const [i, m] of members.entries()) {
    if (!((await store.devices.get(m)) ?? (await store.devices.getByDeviceId(m)))) left.set(m.toLowerCase(), i);
  }
  for (let offset = 0; left.size > 0; offset += PAGE) {
    const page = await store.devices.list({ limit: PAGE, offset });
    for (const d of page) if (d.entraDeviceId) left.delete(d.entraDeviceId.toLowerCase());
    if (page.length < PAGE) break;
  }
  const missing = [...left.values()].sort((a, b) => a - b);
  if (missing.length) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    throw new ApiError(400, 'invalid', `no enrolled device has this id, DeviceID or Entra device ID: ${members[missing[0]]}${more}`, `/members/${missing[0]}`);
  }
}
