// An Entra group as an assignment target (profiles and compliance policies alike): its object
// ID as stored, and the tenant it is synced from — the one the admin names, else the only tenant
// with application credentials. The group is watched from then on (its membership synced from
// Graph); once nothing targets it any more, the store stops watching it (unwatchIfUntargeted).
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The object ID as targets store it (lower-cased), or a 400 naming targetId. */
export function entraGroupId(raw: string): string {
  if (!GUID.test(raw)) throw new ApiError(400, 'invalid', 'an Entra group is named by its object ID (a GUID)', '/targetId');
  return raw.toLowerCase();
}

/** The tenant an Entra group is synced from: the one named, or the only one with application credentials; the group is watched. */
export async function watchEntraGroup(store: Store, groupId: string, named: string | undefined): Promise<string> {
  const watched = await store.entraGroups.get(groupId);
  if (watched && (!named || named.trim().toLowerCase() === watched.tenantId.toLowerCase())) return watched.tenantId;
  if (watched) throw new ApiError(409, 'conflict', `this Entra group is watched on tenant ${watched.tenantId}`, '/tenantId');
  const all = await store.tenants.list();
  let tenant;
  if (named?.trim()) {
    tenant = all.find((t) => t.tenantId.toLowerCase() === named.trim().toLowerCase());
    if (!tenant) throw new ApiError(400, 'invalid', 'no such tenant', '/tenantId');
  } else {
    const withApp = all.filter((t) => t.appClientId && t.appCredential);
    if (withApp.length !== 1)
      throw new ApiError(400, 'invalid', "name the Entra group's tenant (tenantId): none or several tenants have application credentials", '/tenantId');
    tenant = withApp[0];
  }
  await store.entraGroups.watch({ id: groupId, tenantId: tenant.tenantId, createdAt: new Date().toISOString() });
  return tenant.tenantId;
}
