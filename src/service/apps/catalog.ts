// The app catalog (issue #15): apps and their versions, each version read from its package.
// A package comes in streamed (an admin's upload, or a vendor's public URL pinned by SHA-256)
// into the content store, is read there by the package readers, and joins the app of the same
// kind and identity (MSI UpgradeCode, else ProductCode; MSIX package family name) or makes a new
// one. Nothing the uploader types about a package is trusted: its name, publisher and version are
// the package's own. The first version becomes live; later ones wait for an admin's setLive,
// which gives every app profile of the app a new version (D's reversionAppProfiles). Delivery
// itself is profiles of kind 'app' (settings { app, intent }), made and assigned here through
// the profile service. Every change is audited with the admin as actor.
import crypto from 'node:crypto';
import type { AppDelivery, AppKind, AppProfileSettings, AppRecord, AppVersion } from '../../domain/app.js';
import type { Assignment, ProfileRecord } from '../../domain/profile.js';
import { ContentHashMismatchError, ContentNotFoundError, ContentTooLargeError } from '../../store/errors.js';
import type { ContentInfo, Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { ApiError, notFound } from '../errors.js';
import type { ProfileStatusService } from '../reconcile/status.js';
import { reversionAppProfiles } from './app-profiles.js';
import { checkOfficeConfiguration } from './office-config.js';
import { readPackage, type ReadPackage } from './package-read.js';
import { openVendorDownload, vendorUrl, type VendorFetchOptions } from './vendor-fetch.js';

const SHA256 = /^[0-9a-f]{64}$/;

const removedMeanwhile = () =>
  new ApiError(409, 'conflict', 'the package was removed while it was being added (a version with the same package was deleted at that moment): send it again');
const NAME_MAX = 200;
const DESCRIPTION_MAX = 4000;

/**
 * What the catalog uses of the profile service (service/profiles.ts), which itself imports this
 * folder (app-profiles.ts): named here by shape, so that the two modules do not import each other.
 */
export interface AppProfilesPort {
  create(input: { name: string; kind: string; scope: string; settings: Record<string, unknown> }, actor: string): Promise<{ id: string }>;
  assign(id: string, target: { targetType: string; targetId?: string }, actor: string): Promise<Assignment>;
  unassign(id: string, target: { targetType: string; targetId?: string }, actor: string): Promise<void>;
  remove(id: string, actor: string): Promise<void>;
}

export interface AppCatalogOptions {
  store: Store;
  profiles: AppProfilesPort;
  status: ProfileStatusService;
  /** Largest package, in bytes (FENESTRA_CONTENT_MAX_BYTES). */
  maxBytes: number;
  /** Downloads of public packages (test machines: hosts mapped to fakes, their CA trusted). */
  vendor?: VendorFetchOptions;
}

export interface AddResult {
  app: AppRecord;
  version: AppVersion;
  /** false: this package was in the catalog already (the same version with the same SHA-256). */
  created: boolean;
}

export type Intent = AppProfileSettings['intent'];
export interface DeployTarget {
  targetType: string;
  targetId?: string;
  intent: string;
  scope?: string;
}

export interface AppView extends AppRecord {
  versions: AppVersion[];
  /** The app's profiles (kind 'app'): how it is deployed. */
  deployments: { profileId: string; intent: Intent; scope: string; version: number; assignments: Assignment[] }[];
}

export class AppCatalog {
  private readonly store: Store;
  private readonly profiles: AppProfilesPort;
  private readonly status: ProfileStatusService;
  readonly maxBytes: number;
  private readonly vendor: VendorFetchOptions;

  constructor(o: AppCatalogOptions) {
    this.store = o.store;
    this.profiles = o.profiles;
    this.status = o.status;
    this.maxBytes = o.maxBytes;
    this.vendor = o.vendor ?? {};
  }

  // ---- reading -------------------------------------------------------------------------------

  async list(): Promise<(AppRecord & { liveVersion?: string; versionCount: number })[]> {
    const apps = await this.store.apps.list();
    return Promise.all(
      apps.map(async (a) => {
        const versions = await this.store.apps.versions(a.id);
        return { ...a, liveVersion: versions.find((v) => v.id === a.liveVersionId)?.version, versionCount: versions.length };
      }),
    );
  }

  /** A live (not deleted) app, or 404. */
  async record(id: string): Promise<AppRecord> {
    const app = await this.store.apps.get(id);
    if (!app || app.deletedAt) throw notFound('app');
    return app;
  }

  async get(id: string): Promise<AppView> {
    const app = await this.record(id);
    const deployments = await Promise.all(
      (await this.appProfiles(id)).map(async (p) => ({
        profileId: p.id,
        intent: (p.settings as unknown as AppProfileSettings).intent,
        scope: p.scope,
        version: p.version,
        assignments: await this.store.profiles.assignments(p.id),
      })),
    );
    return { ...app, versions: await this.store.apps.versions(id), deployments };
  }

  /** Delivery of the app: per profile, its counts (ProfileStatusService) and every (device, user) row with the reconciler's detail. */
  async deliveryStatus(id: string) {
    await this.record(id);
    return Promise.all(
      (await this.appProfiles(id)).map(async (p) => {
        const summary = await this.status.forProfile(p.id);
        const rows = await this.store.deliveries.list(p.id, { limit: 5000, offset: 0 });
        return {
          profileId: p.id,
          intent: (p.settings as unknown as AppProfileSettings).intent,
          scope: p.scope,
          version: p.version,
          counts: summary.counts,
          deliveries: rows.map((r) => ({
            deviceId: r.devicePk,
            user: r.userKey ? { key: r.userKey, ...(r.upn ? { upn: r.upn } : {}) } : null,
            status: r.status,
            ...(r.detail ? { detail: r.detail } : {}),
            version: r.version,
            updatedAt: r.updatedAt,
          })),
        };
      }),
    );
  }

  // ---- adding packages -------------------------------------------------------------------------

  /** An admin's upload, streamed: 201 a new version (and app), 200 the same package again. `appId`: it must be that app's package (409 otherwise). */
  async upload(body: AsyncIterable<Uint8Array>, o: { fileName?: string; actor: string; appId?: string }): Promise<AddResult> {
    if (o.appId) await this.record(o.appId);
    const info = await this.put(body, undefined);
    return this.addPackage(info, { source: 'upload', fileName: o.fileName, actor: o.actor, appId: o.appId });
  }

  /** A vendor-hosted public package: fetched once over HTTPS and kept only if its SHA-256 is the one given. */
  async addFromUrl(o: { url: string; sha256: string; actor: string; appId?: string }): Promise<AddResult> {
    const url = vendorUrl(o.url).toString();
    if (typeof o.sha256 !== 'string' || !SHA256.test(o.sha256.toLowerCase()))
      throw new ApiError(400, 'invalid', 'sha256 is the package’s SHA-256: 64 hexadecimal digits', '/sha256');
    const expect = o.sha256.toLowerCase();
    if (o.appId) await this.record(o.appId);
    const dl = await openVendorDownload(url, this.maxBytes, this.vendor);
    let info: ContentInfo;
    try {
      info = await this.put(dl.body, expect);
    } finally {
      dl.body.destroy();
    }
    return this.addPackage(info, { source: 'url', sourceUrl: url, fileName: dl.fileName, actor: o.actor, appId: o.appId });
  }

  /** Microsoft 365 Apps: no package, an Office Deployment Tool configuration. */
  async addOffice(o: { name: string; configurationXml: string; actor: string }): Promise<AddResult> {
    const name = this.checkName(o.name);
    if (typeof o.configurationXml !== 'string' || !o.configurationXml.trim())
      throw new ApiError(400, 'invalid', 'configurationXml is required', '/configurationXml');
    const cfg = checkOfficeConfiguration(o.configurationXml);
    const found = await this.findOrCreate('office', cfg.channel, { name, publisher: 'Microsoft' }, o.actor);
    const hash = crypto.createHash('sha256').update(o.configurationXml).digest('hex');
    return this.addVersion(found, o.actor, {
      version: cfg.version,
      source: 'office',
      office: { configurationXml: o.configurationXml, installationId: cfg.channel },
      same: (v) => !!v.office && crypto.createHash('sha256').update(v.office.configurationXml).digest('hex') === hash,
    });
  }

  private async put(body: AsyncIterable<Uint8Array>, expectSha256: string | undefined): Promise<ContentInfo> {
    try {
      return await this.store.content.put(body, { limit: this.maxBytes, ...(expectSha256 ? { expectSha256 } : {}) });
    } catch (err) {
      if (err instanceof ContentTooLargeError) throw new ApiError(413, 'too_large', `the package is larger than the limit of ${err.limit} bytes`);
      if (err instanceof ContentHashMismatchError)
        throw new ApiError(422, 'hash_mismatch', `the package’s SHA-256 is ${err.actual}, not the ${err.expected} given`, '/sha256');
      throw err;
    }
  }

  private async addPackage(
    info: ContentInfo,
    o: { source: 'upload' | 'url'; sourceUrl?: string; fileName?: string; actor: string; appId?: string },
  ): Promise<AddResult> {
    let pkg: ReadPackage;
    try {
      pkg = await readPackage(this.store.content, info.sha256, info.size, o.fileName);
    } catch (err) {
      if (err instanceof ContentNotFoundError) throw removedMeanwhile();
      await this.dropIfUnused(info.sha256);
      throw err;
    }
    let app: { app: AppRecord; created: boolean };
    if (o.appId) {
      const a = await this.record(o.appId);
      if (a.kind !== pkg.kind || a.identity.toLowerCase() !== pkg.identity.toLowerCase()) {
        await this.dropIfUnused(info.sha256);
        throw new ApiError(
          409,
          'conflict',
          `this package is ${pkg.kind.toUpperCase()} ${pkg.identity}, not a version of "${a.name}" (${a.kind.toUpperCase()} ${a.identity})`,
        );
      }
      app = { app: a, created: false };
    } else {
      app = await this.findOrCreate(pkg.kind, pkg.identity, { name: pkg.name, publisher: pkg.publisher }, o.actor);
    }
    return this.addVersion(app, o.actor, {
      version: pkg.version,
      source: o.source,
      sourceUrl: o.sourceUrl,
      sha256: info.sha256,
      size: info.size,
      fileName: o.fileName,
      msi: pkg.msi,
      msix: pkg.msix,
      same: (v) => v.sha256 === info.sha256,
    });
  }

  /** Content no version refers to is removed at once (a refused package is not kept). */
  private async dropIfUnused(sha256: string): Promise<void> {
    await this.collect([sha256]);
  }

  /**
   * Content still needed: every version's package (of deleted apps too: a profile kept by force
   * may deliver them) and every package an app profile's delivery names (MSIX dependencies are
   * other apps' packages).
   */
  private async referencedContent(): Promise<Set<string>> {
    const refs = await this.store.apps.referencedContent();
    for (const p of await this.store.profiles.list()) {
      if (p.kind !== 'app') continue;
      const d = (p.context as { app?: AppDelivery } | undefined)?.app;
      if (d?.sha256) refs.add(d.sha256);
      for (const dep of d?.msix?.dependencies ?? []) refs.add(dep.sha256);
    }
    return refs;
  }

  /**
   * Removes the packages among `hashes` nothing refers to any more (garbage collection when a
   * version or an app goes). Each is hidden while the references are read (ContentStore
   * deleteUnless), so a version added at the same moment (an upload of the same bytes in flight,
   * here or on another replica) either is seen and keeps it, or finds it gone (addVersion).
   */
  private async collect(hashes: (string | undefined)[]): Promise<void> {
    for (const sha256 of new Set(hashes)) {
      if (!sha256) continue;
      await this.store.content.deleteUnless(sha256, async () => (await this.referencedContent()).has(sha256));
    }
  }

  private async findOrCreate(kind: AppKind, identity: string, names: { name: string; publisher?: string }, actor: string) {
    const existing = await this.store.apps.byIdentity(kind, identity);
    if (existing) return { app: existing, created: false };
    const at = new Date().toISOString();
    const app: AppRecord = {
      id: crypto.randomUUID(),
      name: names.name.slice(0, NAME_MAX) || identity,
      kind,
      ...(names.publisher ? { publisher: names.publisher.slice(0, NAME_MAX) } : {}),
      identity,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.store.apps.create(app);
    } catch (err) {
      // Another upload of the same app made it meanwhile (unique kind and identity): join it.
      const raced = await this.store.apps.byIdentity(kind, identity);
      if (raced) return { app: raced, created: false };
      throw err;
    }
    await this.store.audit.append(auditEntry(actor, 'app.create', 'app', app.id, { name: app.name, kind, identity }));
    return { app, created: true };
  }

  private async addVersion(
    found: { app: AppRecord; created: boolean },
    actor: string,
    v: Omit<AppVersion, 'id' | 'appId' | 'createdAt' | 'createdBy'> & { same: (v: AppVersion) => boolean },
  ): Promise<AddResult> {
    const { same, ...fields } = v;
    const app = found.app;
    const versions = await this.store.apps.versions(app.id);
    const existing = versions.find((x) => x.version === v.version);
    if (existing) {
      if (same(existing)) return { app, version: existing, created: false };
      throw new ApiError(409, 'conflict', `"${app.name}" has a version ${v.version} already, with other content: a new package needs a new version number`);
    }
    const version: AppVersion = {
      id: crypto.randomUUID(),
      appId: app.id,
      ...Object.fromEntries(Object.entries(fields).filter(([, x]) => x !== undefined)),
      version: v.version,
      source: v.source,
      createdAt: new Date().toISOString(),
      createdBy: actor,
    };
    try {
      await this.store.apps.addVersion(version);
      // Collected between the upload and now (a version of the same bytes deleted at that moment): not kept without its bytes.
      if (version.sha256 && !(await this.store.content.stat(version.sha256))) {
        await this.store.apps.deleteVersion(version.id);
        throw removedMeanwhile();
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The same version added meanwhile by a concurrent request: answered as if it came first.
      const raced = (await this.store.apps.versions(app.id)).find((x) => x.version === v.version);
      if (raced && same(raced)) return { app, version: raced, created: false };
      if (raced) throw new ApiError(409, 'conflict', `"${app.name}" has a version ${v.version} already, with other content`);
      throw err;
    }
    await this.store.audit.append(
      auditEntry(actor, 'app.version.add', 'app', app.id, {
        versionId: version.id,
        version: version.version,
        source: version.source,
        sha256: version.sha256,
        ...(version.sourceUrl ? { sourceUrl: version.sourceUrl } : {}),
      }),
    );
    // The first version is live at once; later ones wait for an admin to choose.
    if (!app.liveVersionId) return { app: await this.makeLive(app, version, actor), version, created: true };
    return { app, version, created: true };
  }

  // ---- changing --------------------------------------------------------------------------------

  /** Makes `versionId` the version devices get; every app profile of the app gets a new version with it. */
  async setLive(id: string, versionId: string, actor: string): Promise<AppRecord> {
    const app = await this.record(id);
    const version = await this.store.apps.version(versionId);
    if (!version || version.appId !== id) throw new ApiError(404, 'not_found', 'version not found', '/versionId');
    if (app.liveVersionId === versionId) return app;
    return this.makeLive(app, version, actor);
  }

  private async makeLive(app: AppRecord, version: AppVersion, actor: string): Promise<AppRecord> {
    const updatedAt = new Date().toISOString();
    await this.store.apps.update(app.id, { liveVersionId: version.id, updatedAt });
    await this.store.audit.append(
      auditEntry(actor, 'app.live', 'app', app.id, { versionId: version.id, version: version.version, previousVersionId: app.liveVersionId }),
    );
    await reversionAppProfiles(this.store, app.id, actor);
    return { ...app, liveVersionId: version.id, updatedAt };
  }

  private checkName(raw: unknown): string {
    const name = typeof raw === 'string' ? raw.trim() : '';
    if (!name) throw new ApiError(400, 'invalid', 'name is required', '/name');
    if (name.length > NAME_MAX) throw new ApiError(400, 'invalid', `name is at most ${NAME_MAX} characters`, '/name');
    return name;
  }

  /** Renames the app or changes its description (an empty description removes it). */
  async update(id: string, patch: { name?: string; description?: string }, actor: string): Promise<AppRecord> {
    const app = await this.record(id);
    const next: Partial<AppRecord> = {};
    if (patch.name !== undefined) next.name = this.checkName(patch.name);
    if (patch.description !== undefined) {
      const d = String(patch.description).trim();
      if (d.length > DESCRIPTION_MAX) throw new ApiError(400, 'invalid', `description is at most ${DESCRIPTION_MAX} characters`, '/description');
      next.description = d || undefined;
    }
    const changed = Object.keys(next).filter((k) => next[k as keyof AppRecord] !== app[k as keyof AppRecord]);
    if (changed.length === 0) return app;
    const updatedAt = new Date().toISOString();
    await this.store.apps.update(id, { ...next, updatedAt });
    await this.store.audit.append(auditEntry(actor, 'app.change', 'app', id, Object.fromEntries(changed.map((k) => [k, next[k as keyof AppRecord] ?? null]))));
    const out: AppRecord = { ...app, ...next, updatedAt };
    if (out.description === undefined) delete out.description;
    return out;
  }

  /** A version other than the live one. */
  async removeVersion(id: string, versionId: string, actor: string): Promise<void> {
    const app = await this.record(id);
    const v = await this.store.apps.version(versionId);
    if (!v || v.appId !== id) throw notFound('version');
    if (app.liveVersionId === versionId)
      throw new ApiError(409, 'conflict', `version ${v.version} is the live version of "${app.name}": make another version live first`);
    await this.store.apps.deleteVersion(versionId);
    await this.store.audit.append(auditEntry(actor, 'app.version.delete', 'app', id, { versionId, version: v.version, sha256: v.sha256 }));
    await this.collect([v.sha256]);
  }

  /** Deletes the app; 409 naming its profiles while some deliver it, unless forced (they stay: the audit entry names them). */
  async remove(id: string, actor: string, force = false): Promise<void> {
    const app = await this.record(id);
    const profiles = await this.appProfiles(id);
    if (profiles.length && !force) {
      throw new ApiError(
        409,
        'conflict',
        `"${app.name}" is deployed by ${profiles.length} profile(s) (${profiles.map((p) => p.name).join(', ')}): remove them or delete with force=true`,
      );
    }
    const at = new Date().toISOString();
    await this.store.apps.update(id, { deletedAt: at, updatedAt: at });
    await this.store.audit.append(
      auditEntry(actor, 'app.delete', 'app', id, { name: app.name, ...(profiles.length ? { forced: true, profiles: profiles.map((p) => p.id) } : {}) }),
    );
    // Forced, its profiles still deliver the versions: they stay. Else nothing can deliver them: they go with their packages.
    if (profiles.length) return;
    const versions = await this.store.apps.versions(id);
    for (const v of versions) await this.store.apps.deleteVersion(v.id);
    await this.collect(versions.map((v) => v.sha256));
  }

  // ---- deploying --------------------------------------------------------------------------------

  /** The app's live profiles of kind 'app'. */
  private async appProfiles(id: string): Promise<ProfileRecord[]> {
    return (await this.store.profiles.list()).filter((p) => p.kind === 'app' && (p.settings as { app?: unknown }).app === id);
  }

  /** The scope a deployment takes when none is given: MSIX per user; an MSI per device unless it installs per user (no ALLUSERS); Office per device. */
  private async defaultScope(app: AppRecord): Promise<'user' | 'device'> {
    if (app.kind === 'msix') return 'user';
    if (app.kind === 'office') return 'device';
    const live = app.liveVersionId ? await this.store.apps.version(app.liveVersionId) : undefined;
    return live?.msi && !live.msi.allUsers ? 'user' : 'device';
  }

  private async deployment(id: string, o: DeployTarget): Promise<{ app: AppRecord; intent: Intent; scope: 'user' | 'device' }> {
    const app = await this.record(id);
    if (o.intent !== 'install' && o.intent !== 'uninstall') throw new ApiError(400, 'invalid', 'intent must be install or uninstall', '/intent');
    if (o.scope !== undefined && o.scope !== 'user' && o.scope !== 'device') throw new ApiError(400, 'invalid', 'scope must be user or device', '/scope');
    return { app, intent: o.intent, scope: (o.scope as 'user' | 'device' | undefined) ?? (await this.defaultScope(app)) };
  }

  /** Assigns the app's profile for (intent, scope), made first when there is none, to the target. */
  async assign(id: string, o: DeployTarget, actor: string): Promise<Assignment & { scope: string; intent: Intent }> {
    const { app, intent, scope } = await this.deployment(id, o);
    const existing = (await this.appProfiles(id)).find((p) => p.scope === scope && (p.settings as unknown as AppProfileSettings).intent === intent);
    let profileId = existing?.id;
    if (!profileId) {
      const settings: AppProfileSettings = { app: id, intent };
      profileId = (await this.profiles.create({ name: `${app.name} (${intent}, ${scope})`, kind: 'app', scope, settings: { ...settings } }, actor)).id;
    }
    try {
      const a = await this.profiles.assign(profileId, { targetType: o.targetType, targetId: o.targetId }, actor);
      return { ...a, scope, intent };
    } catch (err) {
      // The profile was made for this assignment, which is refused (no such device or group, a
      // bad target type): it is not kept, unless a concurrent deployment assigned it meanwhile.
      if (!existing && (await this.store.profiles.assignments(profileId)).length === 0) await this.profiles.remove(profileId, actor);
      throw err;
    }
  }

  /** Removes that assignment of the app's profile for (intent, scope). */
  async unassign(id: string, o: DeployTarget, actor: string): Promise<void> {
    const { intent, scope } = await this.deployment(id, o);
    const profile = (await this.appProfiles(id)).find((p) => p.scope === scope && (p.settings as unknown as AppProfileSettings).intent === intent);
    if (!profile) throw notFound('assignment');
    await this.profiles.unassign(profile.id, { targetType: o.targetType, targetId: o.targetId }, actor);
  }
}
