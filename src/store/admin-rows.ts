// administrators, admin_sessions and api_tokens rows for both backends: the same column lists,
// statements (`?` placeholders, numbered for PostgreSQL by forDialect) and mappings.
import type { AdminRecord, AdminRole, AdminSessionRecord, ApiTokenRecord } from '../domain/admin.js';
import { n, opt, type Row } from './rows.js';

export const ADMIN_INSERT = `INSERT INTO administrators (id, username, username_key, display_name, role, password_hash, external_issuer,
  external_subject, disabled, created_at, updated_at, last_sign_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

export const ADMIN_UPDATE = `UPDATE administrators SET username = ?, username_key = ?, display_name = ?, role = ?, password_hash = ?,
  external_issuer = ?, external_subject = ?, disabled = ?, updated_at = ?, last_sign_in_at = ? WHERE id = ?`;

/** Enabled owners: what the last-owner rule counts. */
export const OWNERS_COUNT = `SELECT COUNT(*) AS n FROM administrators WHERE role = 'owner' AND disabled = 0`;

export const TOKEN_INSERT = `INSERT INTO api_tokens (id, prefix, token_hash, name, admin_id, role, created_at, last_used_at, expires_at, revoked_at,
  parent_token_id, minted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A token is minted only while its parent token is unrevoked (read inside the minting transaction). */
export const TOKEN_PARENT_LIVE = `SELECT id FROM api_tokens WHERE id = ? AND revoked_at IS NULL`;

/**
 * The tokens an administrator minted (with a session or a token) for another administrator: what
 * disabling or deleting it revokes first. Its own tokens stop working while it is disabled and go
 * with it when it is deleted; what it handed out to others is revoked for good.
 */
export const TOKENS_REVOKE_OF_ADMIN = `UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND minted_by = ? AND admin_id <> ? RETURNING prefix`;

/**
 * One generation of the cascade: the unrevoked tokens minted by a token this transaction revoked
 * (its revocation time is the marker). Run until it revokes nothing; each run is a statement of its
 * own, so on PostgreSQL it also sees a token a concurrent mint committed while it waited on the
 * parent's row lock.
 */
export const TOKENS_REVOKE_CHILDREN = `UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL
  AND parent_token_id IN (SELECT id FROM api_tokens WHERE revoked_at = ?) RETURNING prefix`;

/** The lower-case key the unique index holds: user names are unique whatever their case. */
export const usernameKey = (username: string) => username.toLowerCase();

/** The columns an insert and an update both write, in both statements' order (username … disabled). */
const adminColumns = (a: AdminRecord) => [
  a.username,
  usernameKey(a.username),
  n(a.displayName),
  a.role,
  n(a.passwordHash),
  n(a.externalIssuer),
  n(a.externalSubject),
  a.disabled ? 1 : 0,
];

export const adminInsertValues = (a: AdminRecord) => [a.id, ...adminColumns(a), a.createdAt, a.updatedAt, n(a.lastSignInAt)];

export const adminUpdateValues = (a: AdminRecord) => [...adminColumns(a), a.updatedAt, n(a.lastSignInAt), a.id];

export const adminFromRow = (r: Row): AdminRecord => ({
  id: String(r.id),
  username: String(r.username),
  displayName: opt(r.display_name),
  role: String(r.role) as AdminRole,
  passwordHash: opt(r.password_hash),
  externalIssuer: opt(r.external_issuer),
  externalSubject: opt(r.external_subject),
  disabled: Number(r.disabled) !== 0,
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  lastSignInAt: opt(r.last_sign_in_at),
});

/** The stored record is still the one a change was made from (the sign-in time aside, which sign-ins move). */
export const unchangedSince = (now: AdminRecord, read: AdminRecord): boolean =>
  now.username === read.username &&
  now.displayName === read.displayName &&
  now.role === read.role &&
  now.passwordHash === read.passwordHash &&
  now.disabled === read.disabled &&
  now.externalIssuer === read.externalIssuer &&
  now.externalSubject === read.externalSubject &&
  now.updatedAt === read.updatedAt;

/** A change that ends the administrator's sessions: disabled, or another password. */
export const endsSessions = (before: AdminRecord, after: AdminRecord): boolean => after.disabled || before.passwordHash !== after.passwordHash;

/** An enabled owner (counted by the last-owner rule). */
export const isActiveOwner = (a: Pick<AdminRecord, 'role' | 'disabled'> | undefined) => !!a && a.role === 'owner' && !a.disabled;

export const sessionFromRow = (r: Row): AdminSessionRecord => ({
  tokenHash: String(r.token_hash),
  adminId: String(r.admin_id),
  createdAt: String(r.created_at),
  lastSeenAt: String(r.last_seen_at),
  expiresAt: String(r.expires_at),
});

export const tokenInsertValues = (t: ApiTokenRecord) => [
  t.id,
  t.prefix,
  t.tokenHash,
  t.name,
  t.adminId,
  t.role,
  t.createdAt,
  n(t.lastUsedAt),
  n(t.expiresAt),
  n(t.revokedAt),
  n(t.parentTokenId),
  n(t.mintedBy),
];

export const tokenFromRow = (r: Row): ApiTokenRecord => ({
  id: String(r.id),
  prefix: String(r.prefix),
  tokenHash: String(r.token_hash),
  name: String(r.name),
  adminId: String(r.admin_id),
  role: String(r.role) as AdminRole,
  createdAt: String(r.created_at),
  lastUsedAt: opt(r.last_used_at),
  expiresAt: opt(r.expires_at),
  revokedAt: opt(r.revoked_at),
  parentTokenId: opt(r.parent_token_id),
  mintedBy: opt(r.minted_by),
});

/** An audit entry with the tokens a cascade revoked along (their public prefixes), when there were any. */
export const withCascade = <E extends { detail?: Record<string, unknown> }>(e: E, key: string, prefixes: string[]): E =>
  prefixes.length ? { ...e, detail: { ...e.detail, [key]: prefixes } } : e;
