// Profile delivery as the admin sees it: each user's profile status on a device, a profile's
// status summed over the fleet, and the dry run — the exact SyncML the next session of a
// (device, user) would carry, secrets shown as "(secret)".
import { buildSyncML } from '../../protocol/syncml/build.js';
import type { SyncCommand } from '../../protocol/syncml/types.js';
import type { Store } from '../../store/types.js';
import type { CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { DeviceFilter, DeviceQuery } from '../../domain/fleet.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import { ApiError, notFound } from '../errors.js';
import { holdReason } from '../commands/queue.js';
import { redactPayload } from '../commands/sealed.js';
import { toSyncCommand } from '../commands/syncml.js';
import { entraPrincipals, targetsFor } from './catalog.js';
import type { PlanEntry, Reconciler, UserContext } from './index.js';

export interface DeliveryView {
  profileId: string;
  name?: string;
  kind?: string;
  scope?: string;
  status: string;
  detail?: string;
  /** The version this status is about, and the profile's current one. */
  version: number;
  currentVersion?: number;
  updatedAt?: string;
}

export interface UserProfilesView {
  /** null: the device tree (device-scope profiles; user-scope ones held while nobody is signed in). */
  user: { key: string; upn?: string } | null;
  profiles: DeliveryView[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ProfileStatusService {
  private readonly store: Store;
  private readonly reconciler: Reconciler;
  private readonly publicUrl: string;
  constructor(store: Store, reconciler: Reconciler, publicUrl: string) {
    this.store = store;
    this.reconciler = reconciler;
    this.publicUrl = publicUrl;
  }

  /** Per user (and the device tree), every profile's status; what is assigned but not sent yet shows as pending. */
  async forDevice(d: Device): Promise<UserProfilesView[]> {
    const [rows, snap] = await Promise.all([this.store.deliveries.forDevice(d.id), this.reconciler.catalog.snapshot()]);
    const groups = new Map<string, UserProfilesView>();
    const view = (key: string, upn?: string) => {
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { user: key === '' ? null : { key, upn }, profiles: [] }));
      if (upn && g.user && !g.user.upn) g.user.upn = upn;
      return g;
    };
    const describe = (r: Pick<ProfileDelivery, 'profileId' | 'status' | 'detail' | 'version'> & { updatedAt?: string }): DeliveryView => {
      const p = snap.profiles.get(r.profileId);
      return {
        profileId: r.profileId,
        name: p?.name,
        kind: p?.kind,
        scope: p?.scope,
        status: r.status,
        detail: r.detail,
        version: r.version,
        currentVersion: p?.version,
        updatedAt: r.updatedAt,
      };
    };
    view('');
    for (const r of rows) view(r.userKey, r.upn).profiles.push(describe(r));
    // Assigned but never planned yet (the device has not checked in since): pending.
    const signedIn = d.currentUserOid ? { oid: d.currentUserOid, upn: d.currentUserUpn } : undefined;
    const userKey = d.enrollmentType === 'Device' ? signedIn?.oid.toLowerCase() : (d.userOid ?? d.upn)?.toLowerCase();
    const who = d.enrollmentType === 'Device' ? signedIn : { oid: d.userOid ?? d.upn ?? '', upn: d.upn };
    const entra = snap.entraTargets ? await this.store.entraGroups.groupsOf(entraPrincipals(d, who)) : undefined;
    const t = targetsFor(snap, d, who, entra);
    const have = new Set(rows.map((r) => `${r.userKey}\u0000${r.profileId}`));
    for (const p of t.device)
      if (!have.has(`\u0000${p.id}`)) view('').profiles.push(describe({ profileId: p.id, status: 'pending', detail: 'not sent yet', version: p.version }));
    if (userKey) {
      for (const p of t.user) {
        if (!have.has(`${userKey}\u0000${p.id}`))
          view(userKey, signedIn?.upn ?? d.upn).profiles.push(describe({ profileId: p.id, status: 'pending', detail: 'not sent yet', version: p.version }));
      }
    }
    return [...groups.values()];
  }

  /**
   * Live profiles with failed or held deliveries, and how many: the dashboard's list. One
   * count-by-status query per profile (not forProfile's pass over the fleet).
   */
  async needingAttention(): Promise<{ profileId: string; name: string; kind: string; failed: number; held: number }[]> {
    // One query over the failed and held rows, not a count per profile (the dashboard's list).
    const [profiles, problems] = await Promise.all([this.store.profiles.list(), this.store.deliveries.problemCounts()]);
    const byId = new Map(profiles.map((p) => [p.id, p]));
    const out = [];
    for (const c of problems) {
      const p = byId.get(c.profileId);
      if (p && (c.failed || c.held)) out.push({ profileId: p.id, name: p.name, kind: p.kind, failed: c.failed, held: c.held });
    }
    return out.sort((a, b) => b.failed - a.failed || b.held - a.held || a.name.localeCompare(b.name));
  }

  /** One profile over the fleet: rows by status, how many are behind its current version, and the failures and holds. */
  async forProfile(id: string) {
    const p = await this.store.profiles.get(id);
    if (!p || p.deletedAt) throw notFound('profile');
    const [sum, failed, held] = await Promise.all([
      this.store.deliveries.summary(id, p.version),
      this.store.deliveries.list(id, { status: 'failed', limit: 50, offset: 0 }),
      this.store.deliveries.list(id, { status: 'held', limit: 50, offset: 0 }),
    ]);
    const counts: Record<string, number> = { pending: 0, held: 0, delivered: 0, verified: 0, failed: 0, removing: 0, removed: 0, ...sum.counts };
    const brief = (r: ProfileDelivery) => ({
      deviceId: r.devicePk,
      user: r.userKey ? { key: r.userKey, upn: r.upn } : null,
      version: r.version,
      detail: r.detail,
      updatedAt: r.updatedAt,
    });
    const targetedNotSeen = await this.targetedNotSeen(id);
    return {
      profileId: id,
      name: p.name,
      version: p.version,
      counts,
      /** Enrolled devices its assignments target that have no delivery row of it yet (not checked in since). */
      targetedNotSeen,
      outdated: sum.outdated,
      failures: failed.map(brief),
      held: held.map(brief),
    };
  }

  /**
   * Enrolled devices this profile's assignments target (as forDevice decides: the device tree,
   * and the enrollment or signed-in user) and that have no delivery row of it: one pass over the
   * enrolled devices, O(fleet) per call.
   */
  private async targetedNotSeen(profileId: string): Promise<number> {
    const snap = await this.reconciler.catalog.snapshot();
    if (!snap.profiles.has(profileId)) return 0;
    const seen = new Set<string>();
    for await (const d of this.enrolled({ profileId })) seen.add(d.id);
    let n = 0;
    for await (const d of this.enrolled({})) {
      if (seen.has(d.id)) continue;
      const signedIn = d.currentUserOid ? { oid: d.currentUserOid, upn: d.currentUserUpn } : undefined;
      const userKey = d.enrollmentType === 'Device' ? signedIn?.oid.toLowerCase() : (d.userOid ?? d.upn)?.toLowerCase();
      const t = targetsFor(snap, d, d.enrollmentType === 'Device' ? signedIn : { oid: d.userOid ?? d.upn ?? '', upn: d.upn });
      if (t.device.some((p) => p.id === profileId) || (userKey && t.user.some((p) => p.id === profileId))) n++;
    }
    return n;
  }

  private async *enrolled(f: DeviceFilter): AsyncGenerator<Device> {
    let after: DeviceQuery['after'];
    for (;;) {
      const page = await this.store.devices.page({ ...f, state: 'enrolled', sort: 'enrolledAt', descending: false, limit: 1000, after });
      for (const r of page) yield r.device;
      if (page.length < 1000) return;
      const last = page[page.length - 1];
      after = { key: last.key, id: last.device.id };
    }
  }

  /**
   * What the next session of this device for this user (oid or UPN; none = nobody signed in)
   * would send: commands already queued for it, then the reconciler's plan. Nothing is written.
   */
  async plan(deviceRef: string, user: string | undefined) {
    const d = (await this.store.devices.get(deviceRef)) ?? (await this.store.devices.getByDeviceId(deviceRef));
    if (!d) throw notFound('device');
    let ctx: UserContext | undefined;
    if (user !== undefined && user !== '') {
      const u = user.trim().toLowerCase();
      if (!GUID.test(u) && !/^[^\s@]+@[^\s@]+$/.test(u)) throw new ApiError(400, 'invalid', 'user is an Entra object ID or a UPN', '/user');
      if (d.enrollmentType === 'Device') {
        // A UPN is resolved to the object ID the device has been seen with.
        const seen = (await this.store.traces.logins(d.id)).find((l) => l.oid.toLowerCase() === u || l.upn?.toLowerCase() === u);
        const oid = seen?.oid ?? (GUID.test(u) ? u : undefined);
        if (!oid) throw new ApiError(400, 'invalid', 'this user has never signed in on this device: give the Entra object ID', '/user');
        ctx = { key: oid.toLowerCase(), oid, upn: seen?.upn ?? (GUID.test(u) ? undefined : u) };
      } else {
        ctx = this.reconciler.userContext(d, {}, 'Maintenance');
      }
    } else if (d.enrollmentType === 'Full') {
      ctx = this.reconciler.userContext(d, {}, 'Maintenance');
    }
    const at = new Date().toISOString();
    const sp = await this.reconciler.plan(d, ctx, { userPresent: !!ctx && d.enrollmentType === 'Device', at, force: true, planId: 'plan' });
    const who = { enrollmentType: d.enrollmentType, userOid: d.enrollmentType === 'Device' ? ctx?.oid : undefined, machine: false };
    const queued = (await this.store.management.deliverable(d.id, 50)).filter((c) => !holdReason(c, who));
    const commands: CommandRecord[] = [...queued, ...sp!.plan.commands];
    let n = 1; // CmdID 1 is the status of the device's SyncHdr in a real session
    const body: SyncCommand[] = commands.map((c) => toSyncCommand(redactPayload(c.payload), () => String(++n), []));
    const syncml = buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: 'next', msgId: '1', targetUri: d.deviceId, sourceUri: `${this.publicUrl}/ManagementServer/MDM.svc` },
      body,
      final: true,
    });
    const profiles: PlanEntry[] = sp!.plan.entries;
    return { deviceId: d.id, user: ctx ? { key: ctx.key, upn: ctx.upn } : null, queued: queued.length, profiles, syncml };
  }
}
