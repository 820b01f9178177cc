// Apps reach devices through profiles of kind 'app' (settings { app, intent }): the profile
// version's context is the app's live version as the compiler needs it (AppDelivery), so each
// profile version names one package and a new live version is a new profile version — which the
// reconciler delivers as an upgrade.
import type { AppDelivery, AppRecord, AppVersion } from '../../domain/app.js';
import type { ProfileRecord } from '../../domain/profile.js';
import type { Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { ApiError } from '../errors.js';

/** The live version of an app as profiles of kind 'app' compile it. 404 unknown app, 409 no live version. */
export async function appDelivery(store: Store, appId: string): Promise<AppDelivery> {
  const app = await store.apps.get(appId);
  if (!app || app.deletedAt) throw new ApiError(404, 'not_found', `no app ${appId}`, '/settings/app');
  const v = app.liveVersionId ? await store.apps.version(app.liveVersionId) : undefined;
  if (!v) throw new ApiError(409, 'conflict', `app "${app.name}" has no live version`, '/settings/app');
  return await deliveryOf(store, app, v);
}

async function deliveryOf(store: Store, app: AppRecord, v: AppVersion): Promise<AppDelivery> {
  const d: AppDelivery = { appId: app.id, versionId: v.id, kind: app.kind, name: app.name, version: v.version };
  if (v.sha256) d.sha256 = v.sha256;
  if (v.size !== undefined) d.size = v.size;
  if (v.msi) d.msi = { productCode: v.msi.productCode, productVersion: v.msi.productVersion, ...(v.msi.upgradeCode ? { upgradeCode: v.msi.upgradeCode } : {}) };
  if (v.office) d.office = { configurationXml: v.office.configurationXml, installationId: v.office.installationId };
  if (v.msix) {
    d.msix = {
      packageFamilyName: v.msix.packageFamilyName,
      packageFullName: v.msix.packageFullName,
      format: v.msix.format,
      dependencies: await catalogDependencies(
        store,
        v.msix.dependencies.map((x) => x.name),
      ),
    };
  }
  return d;
}

/** Dependency packages (by package name) that the catalog has as MSIX apps with a live version: installed with the package. */
async function catalogDependencies(store: Store, names: string[]): Promise<{ sha256: string; size: number }[]> {
  if (!names.length) return [];
  const out: { sha256: string; size: number }[] = [];
  for (const a of await store.apps.list()) {
    if (a.kind !== 'msix' || !a.liveVersionId) continue;
    const v = await store.apps.version(a.liveVersionId);
    if (v?.msix && v.sha256 && names.includes(v.msix.name)) out.push({ sha256: v.sha256, size: v.size ?? 0 });
  }
  return out;
}

/**
 * Every live profile of kind 'app' for this app gets a new version with the app's current live
 * version as its context (devices then get the new package). Returns how many; none when the app
 * has no live version (its profiles keep the package they name).
 */
export async function reversionAppProfiles(store: Store, appId: string, actor: string): Promise<number> {
  const profiles = (await store.profiles.list()).filter((p) => p.kind === 'app' && !p.deletedAt && p.settings.app === appId);
  if (!profiles.length) return 0;
  let app: AppDelivery;
  try {
    app = await appDelivery(store, appId);
  } catch (err) {
    if (err instanceof ApiError) return 0;
    throw err;
  }
  let n = 0;
  for (const p of profiles) {
    if ((p.context?.app as AppDelivery | undefined)?.versionId === app.versionId) continue;
    const next: ProfileRecord = { ...p, context: { app }, version: p.version + 1, updatedAt: new Date().toISOString() };
    const audit = auditEntry(actor, 'profile.recompile', 'profile', p.id, { version: next.version, because: `app ${appId} version ${app.version}` });
    if (await store.profiles.update(next, audit)) n++;
  }
  return n;
}
