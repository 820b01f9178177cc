// Watched Entra groups for the admin API and the timer (issue #14): the listing with each
// group's last sync and error, a sync on demand (a tenant's groups or one of them, audited with
// who started it), and the periodic sync of every watched group. One sync of a group at a time
// in this process: a sync asked while one runs waits for it.
import type { EntraGroup } from '../../domain/profile.js';
import type { Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { ApiError, notFound } from '../errors.js';
import { EntraGroupSync, type GroupGraph, type GroupSyncResult } from './groups-sync.js';

export interface EntraGroupsLog {
  warn(obj: object, msg: string): void;
}

/** Groups synced at once (each is a few sequential Graph requests). */
const CONCURRENCY = 4;

export class EntraGroupService {
  private readonly sync: EntraGroupSync;
  private readonly running = new Map<string, Promise<GroupSyncResult>>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<unknown>;
  private readonly deps: {
    store: Store;
    graph: GroupGraph;
    now?: () => Date;
    log?: EntraGroupsLog;
  };

  constructor(deps: { store: Store; graph: GroupGraph; now?: () => Date; log?: EntraGroupsLog }) {
    this.deps = deps;
    this.sync = new EntraGroupSync(deps);
  }

  async list(tenantId: string): Promise<EntraGroup[]> {
    if (!(await this.deps.store.tenants.get(tenantId))) throw notFound('tenant');
    return (await this.deps.store.entraGroups.list(tenantId)).map(({ deltaLink: _omit, ...g }) => g as EntraGroup);
  }

  /** Sync a tenant's watched groups now (or one of them), audited with who asked. */
  async syncNow(tenantId: string, actor: string, groupId?: string): Promise<GroupSyncResult[]> {
    if (!(await this.deps.store.tenants.get(tenantId))) throw notFound('tenant');
    let groups = await this.deps.store.entraGroups.list(tenantId);
    if (groupId !== undefined) {
      groups = groups.filter((g) => g.id === groupId.toLowerCase());
      if (!groups.length) throw new ApiError(404, 'not_found', 'no such Entra group is watched on this tenant', '/groupId');
    }
    await this.deps.store.audit.append(auditEntry(actor, 'entra-group.sync', groupId ? 'entra-group' : 'tenant', groupId?.toLowerCase() ?? tenantId));
    return this.syncGroups(groups);
  }

  /** Every watched group of every tenant (the timer's work). */
  async syncAll(): Promise<GroupSyncResult[]> {
    return this.syncGroups(await this.deps.store.entraGroups.list());
  }

  private async syncGroups(groups: EntraGroup[]): Promise<GroupSyncResult[]> {
    const out: GroupSyncResult[] = [];
    let next = 0;
    const worker = async () => {
      while (next < groups.length) out.push(await this.syncOne(groups[next++]));
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, groups.length) }, worker));
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** One group, joined to a sync of it already under way. */
  syncOne(group: EntraGroup): Promise<GroupSyncResult> {
    const running = this.running.get(group.id);
    if (running) return running;
    const p = this.syncFresh(group.id).finally(() => this.running.delete(group.id));
    this.running.set(group.id, p);
    return p;
  }

  private async syncFresh(id: string): Promise<GroupSyncResult> {
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    // Read again: another sync may have moved its delta link meanwhile.
    const group = await this.deps.store.entraGroups.get(id);
    if (!group) return { groupId: id, mode: 'full', added: 0, removed: 0, error: 'not watched' };
    const tenant = await this.deps.store.tenants.get(group.tenantId);
    if (!tenant?.appClientId || !tenant.appCredential) {
      const error = tenant ? 'the tenant has no application credentials: set them to sync its groups' : 'the tenant is not connected';
      await this.deps.store.entraGroups.recordError(id, error, at);
      return { groupId: id, mode: 'full', added: 0, removed: 0, error };
    }
    const r = await this.sync.sync(tenant, group);
    if (r.error) this.deps.log?.warn({ groupId: id, tenantId: tenant.tenantId, error: r.error }, 'Entra group sync failed');
    return r;
  }

  /** Sync every watched group now and then every `minutes` (0: never). */
  start(minutes: number): void {
    if (minutes <= 0 || this.timer) return;
    const tick = () => {
      if (this.round || !this.timer) return;
      this.round = this.syncAll()
        .catch((err: unknown) => this.deps.log?.warn({ err }, 'Entra group sync round failed'))
        .finally(() => (this.round = undefined));
    };
    this.timer = setInterval(tick, minutes * 60_000);
    this.timer.unref();
    setImmediate(tick);
  }

  /** Stop the timer and wait for a round under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    await Promise.all(this.running.values());
  }
}
