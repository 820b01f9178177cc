// What every device and user should have: live profiles compiled once, and an index of their
// assignments (all, devices, users, groups). Rebuilt only when the store's profile generation
// moves (any change to profiles, assignments, groups or members bumps it), so a check-in costs
// one generation read. Older versions are compiled on demand for diffs and removals.
import { openSecrets } from '../../identity/secret-box.js';
import { compileProfile } from '../../protocol/csp/index.js';
import type { CertificateInfo, CompiledProfile, ProfileKind, Scope } from '../../protocol/csp/types.js';
import type { Store } from '../../store/types.js';
import type { AppDelivery } from '../../domain/app.js';
import type { Device } from '../../domain/device.js';
import type { ProfileRecord } from '../../domain/profile.js';

export interface LiveProfile {
  id: string;
  name: string;
  kind: string;
  scope: Scope;
  version: number;
  compiled: CompiledProfile;
}

export interface Snapshot {
  gen: number;
  profiles: Map<string, LiveProfile>;
  /** Certificate profile id by the `ref` others use. */
  byRef: Map<string, string>;
  all: LiveProfile[];
  /** Assignments by target: 'device:<id>', 'user:<oid|upn>', 'group:<id>', 'entraGroup:<object id>'. */
  byTarget: Map<string, LiveProfile[]>;
  /** Group ids by member (device ids, Entra oids and UPNs, as stored). */
  groupsOf: Map<string, string[]>;
  /** Profiles that failed to compile (stored before a rule changed): never delivered, reported. */
  broken: Map<string, string>;
  /**
   * Some live profile targets an Entra group. Their memberships are not in the snapshot (they can
   * be millions): the reconciler looks up the groups of a device's principals when it plans.
   */
  entraTargets?: boolean;
}

/** The Entra groups (object IDs) of a device's principals: its Entra device ID, its primary user's and the signed-in user's OIDs. */
export type EntraMemberships = Map<string, string[]>;

export interface Targets {
  /** Device-scope profiles for the device tree. */
  device: LiveProfile[];
  /** User-scope profiles for the given user (or for any user, when none is given). */
  user: LiveProfile[];
}

const MAX_OLD_VERSIONS = 512;

export class ProfileCatalog {
  private snap?: Snapshot;
  private building?: Promise<Snapshot>;
  private readonly old = new Map<string, CompiledProfile | null>();
  private readonly store: Store;
  private readonly key: Buffer;

  constructor(store: Store, key: Buffer) {
    this.store = store;
    this.key = key;
  }

  /** The current snapshot (one generation read when nothing changed). */
  async snapshot(): Promise<Snapshot> {
    const gen = await this.store.profiles.generation();
    if (this.snap?.gen === gen) return this.snap;
    if (!this.building) {
      this.building = this.build(gen).finally(() => (this.building = undefined));
    }
    const s = await this.building;
    if (!this.snap || s.gen > this.snap.gen) this.snap = s;
    // Built for an older generation than asked for (a change landed during the build): again.
    return s.gen >= gen ? s : this.snapshot();
  }

  private compile(p: Pick<ProfileRecord, 'kind' | 'scope' | 'settings' | 'context'>): CompiledProfile {
    // App profiles keep { app: AppDelivery } (the app's live version); the others the certificates they refer to, by ref.
    const ctx = !p.context ? {} : p.kind === 'app' ? { app: p.context.app as AppDelivery } : { certificates: p.context as Record<string, CertificateInfo> };
    return compileProfile(p.kind as ProfileKind, p.scope, openSecrets(p.settings, this.key), ctx);
  }

  private async build(gen: number): Promise<Snapshot> {
    const [records, assignments, members] = await Promise.all([
      this.store.profiles.list(),
      this.store.profiles.allAssignments(),
      this.store.groups.allMembers(),
    ]);
    const s: Snapshot = {
      gen,
      profiles: new Map(),
      byRef: new Map(),
      all: [],
      byTarget: new Map(),
      groupsOf: new Map(),
      broken: new Map(),
      entraTargets: false,
    };
    for (const r of records) {
      try {
        const compiled = this.compile(r);
        const live: LiveProfile = { id: r.id, name: r.name, kind: r.kind, scope: r.scope, version: r.version, compiled };
        s.profiles.set(r.id, live);
        if (compiled.provides) s.byRef.set(compiled.provides.ref, r.id);
        this.old.set(`${r.id}:${r.version}`, compiled);
      } catch (err) {
        s.broken.set(r.id, (err as Error).message);
      }
    }
    for (const a of assignments) {
      const p = s.profiles.get(a.profileId);
      if (!p) continue;
      if (a.targetType === 'all') s.all.push(p);
      else push(s.byTarget, `${a.targetType}:${a.targetId}`, p);
      if (a.targetType === 'entraGroup') s.entraTargets = true;
    }
    for (const m of members) push(s.groupsOf, m.member, m.groupId);
    return s;
  }

  /** A compiled version if this process has it already (undefined: ask compiledVersion). */
  cachedVersion(id: string, version: number): CompiledProfile | null | undefined {
    return this.old.get(`${id}:${version}`);
  }

  /** A profile version as compiled (deleted profiles too); null when it cannot be read or compiled. */
  async compiledVersion(id: string, version: number): Promise<CompiledProfile | null> {
    const k = `${id}:${version}`;
    if (this.old.has(k)) return this.old.get(k)!;
    const [rec, v] = await Promise.all([this.store.profiles.get(id), this.store.profiles.version(id, version)]);
    let out: CompiledProfile | null = null;
    if (rec && v) {
      try {
        out = this.compile({ kind: rec.kind, scope: rec.scope, settings: v.settings, context: v.context });
      } catch {
        out = null;
      }
    }
    if (this.old.size >= MAX_OLD_VERSIONS) this.old.delete(this.old.keys().next().value!);
    this.old.set(k, out);
    return out;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** The principals whose Entra groups decide what a (device, user) gets, lower-cased. */
export function entraPrincipals(device: Pick<Device, 'entraDeviceId' | 'userOid'>, user?: { oid: string }): string[] {
  const out = new Set<string>();
  for (const p of [device.entraDeviceId, device.userOid, user?.oid]) if (p) out.add(p.toLowerCase());
  return [...out];
}

/** Profiles that target a device (itself, its groups, all) and a user (oid, UPN, their groups, Entra ones included). */
export function targetsFor(
  s: Snapshot,
  device: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn'>,
  user?: { oid: string; upn?: string },
  entra?: EntraMemberships,
): Targets {
  const seen = new Set<string>();
  const device_: LiveProfile[] = [];
  const user_: LiveProfile[] = [];
  const add = (list: LiveProfile[] | undefined, scopes: Scope[]) => {
    for (const p of list ?? []) {
      if (!scopes.includes(p.scope)) continue;
      const k = `${p.scope}:${p.id}`;
      if (seen.has(k)) continue;
      seen.add(k);
      (p.scope === 'device' ? device_ : user_).push(p);
    }
  };
  const viaGroups = (ids: (string | undefined)[], scopes: Scope[]) => {
    for (const id of ids) {
      if (!id) continue;
      for (const g of s.groupsOf.get(id) ?? []) add(s.byTarget.get(`group:${g}`), scopes);
    }
  };
  const viaEntra = (id: string | undefined, scopes: Scope[]) => {
    if (!id || !entra) return;
    for (const g of entra.get(id.toLowerCase()) ?? []) add(s.byTarget.get(`entraGroup:${g}`), scopes);
  };
  const both: Scope[] = ['device', 'user'];
  // The device: its own assignments and groups, and "all", apply to both trees.
  add(s.all, both);
  add(s.byTarget.get(`device:${device.id}`), both);
  viaGroups([device.id, device.deviceId, device.entraDeviceId], both);
  viaEntra(device.entraDeviceId, both);
  // Device-scope profiles assigned to a user follow the device's primary (enrolling) user.
  const primary = [device.userOid?.toLowerCase(), device.upn?.toLowerCase()];
  for (const k of primary) if (k) add(s.byTarget.get(`user:${k}`), ['device']);
  viaGroups(primary, ['device']);
  viaEntra(device.userOid, ['device']);
  // User-scope profiles assigned to the signed-in user.
  if (user) {
    const keys = [user.oid.toLowerCase(), user.upn?.toLowerCase()];
    for (const k of keys) if (k) add(s.byTarget.get(`user:${k}`), ['user']);
    viaGroups(keys, ['user']);
    viaEntra(user.oid, ['user']);
  }
  const order = (a: LiveProfile, b: LiveProfile) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { device: device_.sort(order), user: user_.sort(order) };
}
