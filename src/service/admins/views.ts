// What the API and the console show of administrators and API tokens: never a hash.
import type { AdminRecord, AdminRole, ApiTokenRecord } from '../../domain/admin.js';

export interface AdminView {
  id: string;
  username: string;
  displayName?: string;
  role: AdminRole;
  disabled: boolean;
  /** Signs in with a password. */
  passwordSet: boolean;
  /** Signs in with this OpenID Connect issuer (Entra ID). */
  externalIssuer?: string;
  createdAt: string;
  updatedAt: string;
  lastSignInAt?: string;
}

export interface ApiTokenView {
  id: string;
  /** The public part: the token reads fen_<prefix>_… */
  prefix: string;
  name: string;
  adminId: string;
  /** Its administrator's user name (when known). */
  adminUsername?: string;
  role: AdminRole;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
  /** Neither revoked nor expired. */
  active: boolean;
}

export const adminView = (a: AdminRecord): AdminView => ({
  id: a.id,
  username: a.username,
  displayName: a.displayName,
  role: a.role,
  disabled: a.disabled,
  passwordSet: !!a.passwordHash,
  externalIssuer: a.externalIssuer,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
  lastSignInAt: a.lastSignInAt,
});

export const tokenView = (t: ApiTokenRecord, now: Date, adminUsername?: string): ApiTokenView => ({
  id: t.id,
  prefix: t.prefix,
  name: t.name,
  adminId: t.adminId,
  adminUsername,
  role: t.role,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
  active: !t.revokedAt && !(t.expiresAt && Date.parse(t.expiresAt) <= now.getTime()),
});
