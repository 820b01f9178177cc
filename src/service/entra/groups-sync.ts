// The membership of watched Entra groups, synced from Microsoft Graph (issue #14).
//
// A group without a delta link is read in full: one round of
// `groups/delta?$filter=id eq '{id}'&$select=displayName,members` (its direct members and the
// @odata.deltaLink that later rounds start from), then, when it holds devices or other groups,
// `transitiveMembers/microsoft.graph.user` and `.../microsoft.graph.device` (devices by their
// Entra device ID, which is what a device presents; delta lists directory object IDs only).
// Later syncs follow the stored delta link: members@delta adds, and removes those marked
// @removed. groups/delta reports direct membership only, so a group that holds other groups
// ("nested") keeps no delta link and is read transitively in full at every sync; a delta that
// adds or removes a group as a member turns the group into a nested one the same way. An expired
// delta link (410) falls back to a full read. Throttling is the Graph client's (429 and
// Retry-After, capped back-off). Nothing here bumps the profile generation: the store bumps the
// membership stamp of each principal that joined or left.
import type { EntraGroup, EntraGroupMember } from '../../domain/profile.js';
import type { Tenant } from '../../domain/tenant.js';
import type { Store } from '../../store/types.js';
import { GraphError } from './graph-client.js';

/** What the sync needs of Microsoft Graph (GraphClient). */
export interface GroupGraph {
  get<T>(tenant: Tenant, path: string): Promise<T>;
  pages<T>(tenant: Tenant, path: string, opts?: { onDeltaLink?: (link: string) => void }): AsyncGenerator<T[]>;
}

export interface GroupSyncResult {
  groupId: string;
  mode: 'full' | 'delta';
  added: number;
  removed: number;
  error?: string;
}

interface DirectoryRef {
  '@odata.type'?: string;
  id: string;
  '@removed'?: unknown;
}

interface GroupDeltaItem {
  id: string;
  displayName?: string;
  'members@delta'?: DirectoryRef[];
  '@removed'?: unknown;
}

const typeOf = (r: DirectoryRef): 'user' | 'device' | 'group' | 'other' => {
  const t = (r['@odata.type'] ?? '').toLowerCase();
  return t.endsWith('.user') ? 'user' : t.endsWith('.device') ? 'device' : t.endsWith('.group') ? 'group' : 'other';
};

const kindOf = (users: number, devices: number): EntraGroup['kind'] => (users && devices ? 'mixed' : users ? 'user' : devices ? 'device' : 'empty');

/** Graph's answer that a delta token is no longer usable: start again from a full read. */
const isExpiredDelta = (err: unknown) =>
  err instanceof GraphError && (err.status === 410 || /resyncRequired|syncStateNotFound|syncStateInvalid/i.test(err.code));

export function describeSyncError(err: unknown): string {
  if (err instanceof GraphError) return `Microsoft Graph: ${err.code}: ${err.message}`.slice(0, 500);
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

export class EntraGroupSync {
  private readonly deps: {
    store: Store;
    graph: GroupGraph;
    now?: () => Date;
  };
  constructor(deps: { store: Store; graph: GroupGraph; now?: () => Date }) {
    this.deps = deps;
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Sync one watched group; a failure is recorded on the group and returned, never thrown. */
  async sync(tenant: Tenant, group: EntraGroup): Promise<GroupSyncResult> {
    try {
      if (group.deltaLink && !group.nested) {
        try {
          const r = await this.delta(tenant, group, group.deltaLink);
          if (r) return r;
        } catch (err) {
          if (!isExpiredDelta(err)) throw err;
        }
      }
      return await this.full(tenant, group);
    } catch (err) {
      const error = describeSyncError(err);
      await this.deps.store.entraGroups.recordError(group.id, error, this.now());
      return { groupId: group.id, mode: group.deltaLink ? 'delta' : 'full', added: 0, removed: 0, error };
    }
  }

  /** Full read: the direct members and a delta link, then the transitive users and devices where needed. */
  private async full(tenant: Tenant, group: EntraGroup): Promise<GroupSyncResult> {
    let link: string | undefined;
    let displayName: string | undefined;
    let deleted = false;
    const users: string[] = [];
    let devices = 0;
    let nested = false;
    const path = `/v1.0/groups/delta?$filter=${encodeURIComponent(`id eq '${group.id}'`)}&$select=displayName,members`;
    for await (const page of this.deps.graph.pages<GroupDeltaItem>(tenant, path, { onDeltaLink: (l) => (link = l) })) {
      for (const item of page) {
        if (item.id.toLowerCase() !== group.id) continue;
        if (item['@removed']) deleted = true;
        if (item.displayName) displayName = item.displayName;
        for (const m of item['members@delta'] ?? []) {
          if (m['@removed']) continue;
          const type = typeOf(m);
          if (type === 'user') users.push(m.id.toLowerCase());
          else if (type === 'device') devices++;
          else if (type === 'group') nested = true;
        }
      }
    }
    if (deleted) return this.gone(group);
    const members: EntraGroupMember[] = [];
    let userCount = users.length;
    if (nested) {
      userCount = 0;
      for await (const page of this.deps.graph.pages<{ id: string }>(tenant, `/v1.0/groups/${group.id}/transitiveMembers/microsoft.graph.user?$select=id`)) {
        for (const u of page) members.push({ objectId: u.id.toLowerCase(), principal: u.id.toLowerCase() });
        userCount += page.length;
      }
    } else {
      for (const id of users) members.push({ objectId: id, principal: id });
    }
    let deviceCount = 0;
    if (nested || devices > 0) {
      const path = `/v1.0/groups/${group.id}/transitiveMembers/microsoft.graph.device?$select=id,deviceId`;
      for await (const page of this.deps.graph.pages<{ id: string; deviceId?: string }>(tenant, path)) {
        for (const d of page) {
          if (!d.deviceId) continue;
          members.push({ objectId: d.id.toLowerCase(), principal: d.deviceId.toLowerCase() });
          deviceCount++;
        }
      }
    }
    const r = await this.deps.store.entraGroups.replaceMembers(group.id, members, {
      at: this.now(),
      displayName,
      kind: kindOf(userCount, deviceCount),
      nested,
      deltaLink: nested ? null : (link ?? null),
    });
    return { groupId: group.id, mode: 'full', ...r };
  }

  /** A delta round from the stored link; undefined when the group turned out nested (read it in full). */
  private async delta(tenant: Tenant, group: EntraGroup, start: string): Promise<GroupSyncResult | undefined> {
    let link: string | undefined;
    let displayName: string | undefined;
    let deleted = false;
    const added = new Map<string, 'user' | 'device'>();
    const removed = new Set<string>();
    for await (const page of this.deps.graph.pages<GroupDeltaItem>(tenant, start, { onDeltaLink: (l) => (link = l) })) {
      for (const item of page) {
        if (item.id.toLowerCase() !== group.id) continue;
        if (item['@removed']) deleted = true;
        if (item.displayName) displayName = item.displayName;
        for (const m of item['members@delta'] ?? []) {
          const type = typeOf(m);
          if (type === 'group') return undefined;
          if (type === 'other') continue;
          const id = m.id.toLowerCase();
          // The last word on a member in the round counts.
          if (m['@removed']) {
            added.delete(id);
            removed.add(id);
          } else {
            removed.delete(id);
            added.set(id, type);
          }
        }
      }
    }
    if (deleted) return this.gone(group);
    const members: EntraGroupMember[] = [];
    let users = 0;
    let devices = 0;
    for (const [id, type] of added) {
      if (type === 'user') {
        members.push({ objectId: id, principal: id });
        users++;
        continue;
      }
      // A device joined: what it presents is its device ID, not its directory object ID.
      const d = await this.deps.graph.get<{ deviceId?: string }>(tenant, `/v1.0/devices/${encodeURIComponent(id)}?$select=deviceId`);
      if (d.deviceId) {
        members.push({ objectId: id, principal: d.deviceId.toLowerCase() });
        devices++;
      }
    }
    const kind = group.kind === 'empty' || !group.kind ? (members.length ? kindOf(users, devices) : undefined) : undefined;
    const r = await this.deps.store.entraGroups.applyDelta(group.id, members, [...removed], { at: this.now(), displayName, kind, deltaLink: link ?? null });
    return { groupId: group.id, mode: 'delta', ...r };
  }

  /** The group was deleted in Entra: no members, and the reason shown on the group. */
  private async gone(group: EntraGroup): Promise<GroupSyncResult> {
    const at = this.now();
    const r = await this.deps.store.entraGroups.replaceMembers(group.id, [], { at, kind: 'empty', nested: false, deltaLink: null });
    const error = 'the group was deleted in Entra ID';
    await this.deps.store.entraGroups.recordError(group.id, error, at);
    return { groupId: group.id, mode: 'full', ...r, error };
  }
}
