// Rows of the app catalog (apps, app_versions) to records and back, for both backends.
import type { AppRecord, AppVersion } from '../domain/app.js';
import { n, opt, type Row } from './rows.js';

export const APP_VERSION_INSERT =
  'INSERT INTO app_versions (id, app_id, version, source, source_url, sha256, size, file_name, metadata, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
export const APP_INSERT =
  'INSERT INTO apps (id, name, kind, publisher, description, identity, live_version_id, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** The columns update() may set, by the record's field name. */
const UPDATABLE = {
  name: 'name',
  publisher: 'publisher',
  description: 'description',
  liveVersionId: 'live_version_id',
  updatedAt: 'updated_at',
  deletedAt: 'deleted_at',
};
type Patch = Partial<Pick<AppRecord, keyof typeof UPDATABLE>>;

/** `UPDATE apps SET … WHERE id = ?` for the fields present in `patch` (undefined clears), with its values, `?` placeholders. */
export function appUpdate(id: string, patch: Patch): { sql: string; values: unknown[] } | undefined {
  const keys = (Object.keys(UPDATABLE) as (keyof Patch)[]).filter((k) => k in patch);
  if (keys.length === 0) return undefined;
  return { sql: `UPDATE apps SET ${keys.map((k) => `${UPDATABLE[k]} = ?`).join(', ')} WHERE id = ?`, values: [...keys.map((k) => n(patch[k])), id] };
}

export const appValues = (a: AppRecord): unknown[] => [
  a.id,
  a.name,
  a.kind,
  n(a.publisher),
  n(a.description),
  a.identity,
  n(a.liveVersionId),
  a.createdAt,
  a.updatedAt,
  n(a.deletedAt),
];

export const appFromRow = (r: Row): AppRecord => ({
  id: String(r.id),
  name: String(r.name),
  kind: r.kind as AppRecord['kind'],
  publisher: opt(r.publisher),
  description: opt(r.description),
  identity: String(r.identity),
  liveVersionId: opt(r.live_version_id),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  deletedAt: opt(r.deleted_at),
});

export const appVersionValues = (v: AppVersion): unknown[] => [
  v.id,
  v.appId,
  v.version,
  v.source,
  n(v.sourceUrl),
  n(v.sha256),
  n(v.size),
  n(v.fileName),
  JSON.stringify({ msi: v.msi, msix: v.msix, office: v.office }),
  v.createdAt,
  n(v.createdBy),
];

export function appVersionFromRow(r: Row): AppVersion {
  const meta = JSON.parse(String(r.metadata)) as Pick<AppVersion, 'msi' | 'msix' | 'office'>;
  return {
    id: String(r.id),
    appId: String(r.app_id),
    version: String(r.version),
    source: r.source as AppVersion['source'],
    sourceUrl: opt(r.source_url),
    sha256: opt(r.sha256),
    size: r.size === null || r.size === undefined ? undefined : Number(r.size),
    fileName: opt(r.file_name),
    ...(meta.msi ? { msi: meta.msi } : {}),
    ...(meta.msix ? { msix: meta.msix } : {}),
    ...(meta.office ? { office: meta.office } : {}),
    createdAt: String(r.created_at),
    createdBy: opt(r.created_by),
  };
}
