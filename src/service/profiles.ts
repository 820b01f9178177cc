// Profiles (typed settings compiled to CSP nodes), their assignments to users, groups, devices
// or all, and groups. Settings are validated by compiling them; secrets are sealed at rest and
// masked on the way out. Delivery per (device, user) is the reconciler's job.
import crypto from 'node:crypto';
import { maskSecrets, mergeMasked, openSecrets, sealSecrets } from '../identity/secret-box.js';
import { compileProfile } from '../protocol/csp/index.js';
import { PROFILE_KINDS, ProfileValidationError, type CertificateInfo, type CompiledProfile, type ProfileKind, type Scope } from '../protocol/csp/types.js';
import type { Store } from '../store/types.js';
import { auditEntry } from './audit.js';
import type { AssignmentTarget, ProfileRecord } from '../domain/profile.js';
import { ApiError, notFound } from './errors.js';
import { appDelivery } from './apps/app-profiles.js';
import { entraGroupId, watchEntraGroup } from './entra/group-targets.js';
import { certificateDependents, checkDevicesExist, checkSettingsReferences, dependentsConflict, groupDependents } from './profile-references.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ProfileInput {
  name: string;
  kind: string;
  scope: string;
  settings: Record<string, unknown>;
}

export interface ProfileView {
  id: string;
  name: string;
  kind: string;
  scope: string;
  version: number;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export class ProfileService {
  private readonly store: Store;
  private readonly key: Buffer;
  private readonly onEntraGroup?: (groupId: string) => void;
  constructor(
    store: Store,
    key: Buffer,
    /** An Entra group got its first assignment: sync it now rather than at the next timer round. */
    onEntraGroup?: (groupId: string) => void,
  ) {
    this.store = store;
    this.key = key;
    this.onEntraGroup = onEntraGroup;
  }

  private view(p: ProfileRecord): ProfileView {
    const { deletedAt: _d, settings, ...rest } = p;
    return { ...rest, settings: maskSecrets(settings) };
  }

  /** Certificate profiles by `ref`, for VPN / Wi-Fi profiles that refer to them. */
  private async certificates(exceptId?: string): Promise<Record<string, CertificateInfo>> {
    const out: Record<string, CertificateInfo> = {};
    for (const p of await this.store.profiles.list()) {
      if (p.kind !== 'certificate' || p.id === exceptId) continue;
      try {
        const c = compileProfile('certificate', p.scope, openSecrets(p.settings, this.key), {});
        if (c.provides) out[c.provides.ref] = c.provides;
      } catch {
        /* an invalid stored profile offers nothing */
      }
    }
    return out;
  }

  /** Compile (validating) with the certificate profiles visible now; `context` is what it used of them, kept with the version. */
  private async compile(
    kind: string,
    scope: string,
    settings: unknown,
    exceptId?: string,
  ): Promise<{ compiled: CompiledProfile; context?: Record<string, unknown> }> {
    if (!PROFILE_KINDS.includes(kind as ProfileKind)) throw new ApiError(400, 'invalid', `kind must be one of ${PROFILE_KINDS.join(', ')}`, '/kind');
    if (scope !== 'user' && scope !== 'device') throw new ApiError(400, 'invalid', 'scope must be user or device', '/scope');
    try {
      if (kind === 'app') {
        // The app's live version is the context (404 unknown app, 409 none live, at /settings/app).
        const appId = (settings as { app?: unknown } | null)?.app;
        const app = typeof appId === 'string' && appId ? await appDelivery(this.store, appId) : undefined;
        return { compiled: compileProfile('app', scope as Scope, settings, { app }), context: app ? { app } : undefined };
      }
      const certificates = await this.certificates(exceptId);
      const compiled = compileProfile(kind as ProfileKind, scope as Scope, settings, { certificates });
      if (compiled.requires.length === 0) return { compiled };
      return { compiled, context: Object.fromEntries(compiled.requires.map((ref) => [ref, certificates[ref]])) };
    } catch (err) {
      if (err instanceof ProfileValidationError) {
        const e = err.errors[0];
        const pointer = e.pointer === '/scope' ? '/scope' : `/settings${e.pointer}`;
        throw new ApiError(400, 'invalid', err.errors.map((x) => `${x.pointer || '/'} ${x.message}`).join('; '), pointer);
      }
      throw err;
    }
  }

  async create(input: ProfileInput, actor: string): Promise<ProfileView> {
    const { compiled, context } = await this.compile(input.kind, input.scope, input.settings);
    await this.refClash(compiled);
    await checkSettingsReferences(this.store, input.kind, input.settings);
    const at = new Date().toISOString();
    const p: ProfileRecord = {
      id: crypto.randomUUID(),
      name: input.name,
      kind: input.kind,
      scope: input.scope as Scope,
      settings: sealSecrets(input.settings, this.key),
      context,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    await this.store.profiles.create(p, auditEntry(actor, 'profile.create', 'profile', p.id, { name: p.name, kind: p.kind, scope: p.scope }));
    return this.view(p);
  }

  async list(): Promise<ProfileView[]> {
    return (await this.store.profiles.list()).map((p) => this.view(p));
  }

  private async record(id: string): Promise<ProfileRecord> {
    const p = await this.store.profiles.get(id);
    if (!p || p.deletedAt) throw notFound('profile');
    return p;
  }

  async get(id: string) {
    const p = await this.record(id);
    return { ...this.view(p), assignments: await this.store.profiles.assignments(id) };
  }

  async change(id: string, patch: { name?: string; settings?: Record<string, unknown> }, actor: string): Promise<ProfileView> {
    const cur = await this.record(id);
    let settings = cur.settings;
    let context = cur.context;
    let compiled: CompiledProfile | undefined;
    if (patch.settings) {
      const plain = mergeMasked(patch.settings, openSecrets(cur.settings, this.key));
      ({ compiled, context } = await this.compile(cur.kind, cur.scope, plain, cur.id));
      await this.refClash(compiled, cur.id);
      await checkSettingsReferences(this.store, cur.kind, plain, cur.id);
      settings = sealSecrets(plain, this.key);
    }
    const next: ProfileRecord = { ...cur, name: patch.name ?? cur.name, settings, context, version: cur.version + 1, updatedAt: new Date().toISOString() };
    if (
      !(await this.store.profiles.update(
        next,
        auditEntry(actor, 'profile.change', 'profile', id, { version: next.version, settings: !!patch.settings, name: patch.name }),
      ))
    ) {
      throw notFound('profile');
    }
    if (compiled?.provides) await this.recompileDependents(compiled.provides.ref, actor);
    return this.view(next);
  }

  /** Two certificate profiles cannot offer the same `ref`: VPN and Wi-Fi profiles name them by it. */
  private async refClash(compiled: CompiledProfile, selfId?: string): Promise<void> {
    const ref = compiled.provides?.ref;
    if (!ref) return;
    for (const p of await this.store.profiles.list()) {
      if (p.id === selfId || p.kind !== 'certificate') continue;
      if (openSecrets(p.settings, this.key).ref === ref)
        throw new ApiError(409, 'conflict', `certificate profile "${p.name}" already uses ref "${ref}"`, '/settings/ref');
    }
  }

  /**
   * A certificate profile changed: profiles that refer to it compile to other nodes when what
   * they take from it (thumbprints, issuer filters) changed — they get a new version, so devices
   * receive the difference.
   */
  private async recompileDependents(ref: string, actor: string): Promise<void> {
    const certificates = await this.certificates();
    for (const p of await this.store.profiles.list()) {
      if (p.kind === 'certificate' || p.kind === 'app') continue;
      const before = (p.context as Record<string, CertificateInfo> | undefined)?.[ref];
      if (!before) continue;
      const now = certificates[ref];
      if (JSON.stringify(before) === JSON.stringify(now)) continue;
      let context: Record<string, CertificateInfo>;
      try {
        const compiled = compileProfile(p.kind as ProfileKind, p.scope, openSecrets(p.settings, this.key), { certificates });
        context = Object.fromEntries(compiled.requires.map((r) => [r, certificates[r]]));
      } catch {
        continue; // it no longer compiles against the new certificate: it keeps its version, reported by the reconciler
      }
      const next: ProfileRecord = { ...p, context, version: p.version + 1, updatedAt: new Date().toISOString() };
      await this.store.profiles.update(next, auditEntry(actor, 'profile.recompile', 'profile', p.id, { version: next.version, because: ref }));
    }
  }

  /**
   * A certificate profile that Wi-Fi or VPN profiles take their certificate from is kept (409
   * naming them) unless forced; forced, they stay and no longer compile (the reconciler reports
   * them), and the audit entry names them.
   */
  async remove(id: string, actor: string, force = false): Promise<void> {
    const p = await this.record(id);
    const ref = p.kind === 'certificate' ? openSecrets(p.settings, this.key).ref : undefined;
    const dependents = typeof ref === 'string' ? await certificateDependents(this.store, ref, id) : [];
    if (dependents.length && !force) throw dependentsConflict(`certificate profile "${p.name}" (ref "${ref}")`, dependents);
    const at = new Date().toISOString();
    const detail = dependents.length ? { forced: true, orphanedProfiles: dependents } : undefined;
    const entraGroups = (await this.store.profiles.assignments(id)).filter((a) => a.targetType === 'entraGroup').map((a) => a.targetId);
    if (!(await this.store.profiles.delete(id, at, auditEntry(actor, 'profile.delete', 'profile', id, detail)))) throw notFound('profile');
    // The deleted profile's assignments went with it: Entra groups no other profile targets are no longer synced.
    for (const g of entraGroups) await this.store.entraGroups.unwatchIfUntargeted(g);
  }

  async assign(id: string, target: { targetType: string; targetId?: string; tenantId?: string }, actor: string) {
    await this.record(id);
    const type = target.targetType as AssignmentTarget;
    const tid = await this.targetId(type, target.targetId);
    if (tid === undefined) throw new ApiError(400, 'invalid', `no such ${type}`, '/targetId');
    // An Entra group is watched from its first assignment on: its membership is synced from Graph.
    const tenantId = type === 'entraGroup' ? await watchEntraGroup(this.store, tid, target.tenantId) : undefined;
    const a = { profileId: id, targetType: type, targetId: tid, createdAt: new Date().toISOString() };
    const detail = { targetType: type, targetId: tid, ...(tenantId ? { tenantId } : {}) };
    const added = await this.store.profiles.assign(a, auditEntry(actor, 'profile.assign', 'profile', id, detail));
    if (added && tenantId) {
      // Watched again now the assignment is stored: an unassign of its last other one meanwhile may have dropped it.
      await this.store.entraGroups.watch({ id: tid, tenantId, createdAt: a.createdAt });
      this.onEntraGroup?.(tid);
    }
    if (!added) {
      const same = type === 'user' ? ` (${tid}: users compare case-insensitively)` : type === 'all' ? '' : ` (${tid})`;
      throw new ApiError(409, 'conflict', `this assignment exists${same}`, type === 'all' ? '/targetType' : '/targetId');
    }
    return a;
  }

  /** The same body as `assign` removes the same assignment. */
  async unassign(id: string, target: { targetType: string; targetId?: string }, actor: string): Promise<void> {
    const type = target.targetType as AssignmentTarget;
    // A device or group that no longer exists has no assignment left to remove.
    const tid = await this.targetId(type, target.targetId, true);
    if (tid === undefined) throw notFound('assignment');
    const ok = await this.store.profiles.unassign(id, type, tid, auditEntry(actor, 'profile.unassign', 'profile', id, { targetType: type, targetId: tid }));
    if (!ok) throw notFound('assignment');
    // Its last assignment gone, an Entra group is no longer synced.
    if (type === 'entraGroup') await this.store.entraGroups.unwatchIfUntargeted(tid);
  }

  /**
   * An assignment target as stored: trimmed; a user lower-cased; a device by our id or its
   * Windows DeviceID → our id; undefined for a device or group that does not exist. Used by
   * both assign and unassign so that the same body always names the same row.
   */
  private async targetId(type: AssignmentTarget, raw: string | undefined, removing = false): Promise<string | undefined> {
    const tid = (raw ?? '').trim();
    switch (type) {
      case 'all':
        // A target id here is a mistake (a group id meant for targetType group?): not silently dropped.
        if (tid) throw new ApiError(400, 'invalid', 'targetType "all" takes no targetId', '/targetId');
        return '*';
      case 'user':
        if (!GUID.test(tid) && !UPN.test(tid)) throw new ApiError(400, 'invalid', 'a user is an Entra object ID or a UPN', '/targetId');
        return tid.toLowerCase();
      case 'group':
        return (await this.store.groups.get(tid)) ? tid : undefined;
      case 'entraGroup':
        return entraGroupId(tid);
      case 'device': {
        const d = (await this.store.devices.get(tid)) ?? (await this.store.devices.getByDeviceId(tid));
        // A removed device's id still names its (stale) assignment.
        return d ? d.id : removing && tid ? tid : undefined;
      }
      default:
        throw new ApiError(400, 'invalid', 'targetType must be user, group, device, all or entraGroup', '/targetType');
    }
  }
}

export class GroupService {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  async create(input: { name: string; kind: string; members?: string[] }, actor: string) {
    if (input.kind !== 'user' && input.kind !== 'device') throw new ApiError(400, 'invalid', 'kind must be user or device', '/kind');
    const g = { id: crypto.randomUUID(), name: input.name.trim(), kind: input.kind as 'user' | 'device', createdAt: new Date().toISOString() };
    if (!g.name) throw new ApiError(400, 'invalid', 'a group needs a name', '/name');
    // Members are checked before the group exists: a refused member leaves no empty group behind.
    const members = this.memberList(g.kind, input.members ?? []);
    if (g.kind === 'device') await checkDevicesExist(this.store, members);
    if (!(await this.store.groups.create(g, auditEntry(actor, 'group.create', 'group', g.id, { name: g.name, kind: g.kind })))) {
      throw new ApiError(409, 'conflict', 'a group with this name exists', '/name');
    }
    if (members.length) await this.store.groups.addMembers(g.id, members, auditEntry(actor, 'group.members.add', 'group', g.id));
    return { ...g, members: await this.store.groups.members(g.id) };
  }

  list() {
    return this.store.groups.list();
  }

  async get(id: string) {
    const g = await this.store.groups.get(id);
    if (!g) throw notFound('group');
    return { ...g, members: await this.store.groups.members(id) };
  }

  private normalize(kind: 'user' | 'device', m: string, i: number): string {
    const v = m.trim();
    if (kind === 'user' && !GUID.test(v) && !UPN.test(v)) throw new ApiError(400, 'invalid', 'a user member is an Entra object ID or a UPN', `/members/${i}`);
    if (!v || v.length > 256) throw new ApiError(400, 'invalid', 'a member is 1-256 characters', `/members/${i}`);
    return kind === 'user' ? v.toLowerCase() : v;
  }

  /** Normalized members; a member given twice (ALICE@ and alice@ are one user) is refused at its second place. */
  private memberList(kind: 'user' | 'device', members: string[]): string[] {
    const first = new Map<string, number>();
    return members.map((m, i) => {
      const v = this.normalize(kind, m, i);
      const k = v.toLowerCase();
      const at = first.get(k);
      if (at !== undefined) throw new ApiError(400, 'invalid', `repeats /members/${at} (members compare case-insensitively)`, `/members/${i}`);
      first.set(k, i);
      return v;
    });
  }

  async addMembers(id: string, members: string[], actor: string) {
    const g = await this.store.groups.get(id);
    if (!g) throw notFound('group');
    const list = this.memberList(g.kind, members);
    if (g.kind === 'device') await checkDevicesExist(this.store, list);
    await this.store.groups.addMembers(id, list, auditEntry(actor, 'group.members.add', 'group', id));
    return { ...g, members: await this.store.groups.members(id) };
  }

  async removeMember(id: string, member: string, actor: string) {
    const removed = (m: string) => this.store.groups.removeMember(id, m, auditEntry(actor, 'group.members.remove', 'group', id, { member: m }));
    if (!(await removed(member.toLowerCase())) && !(await removed(member))) {
      throw notFound('group member');
    }
  }

  /** A group with assignments is kept (409 naming them) unless forced; forced, its assignments go with it, named in the audit entry. */
  async remove(id: string, actor: string, force = false) {
    const g = await this.store.groups.get(id);
    if (!g) throw notFound('group');
    const dependents = await groupDependents(this.store, id);
    if (dependents.length && !force) throw dependentsConflict(`group "${g.name}"`, dependents);
    const detail = { name: g.name, ...(dependents.length ? { forced: true, removedAssignments: dependents } : {}) };
    if (!(await this.store.groups.delete(id, auditEntry(actor, 'group.delete', 'group', id, detail)))) throw notFound('group');
  }
}
