// Administrators of fenestra: their roles, and who is behind a request to the admin API or console.

/** Ordered from least to most: each role can do everything the roles before it can. */
export const ADMIN_ROLES = ['read-only', 'helpdesk', 'admin', 'owner'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** True when `role` is at least `needed`. */
export const roleAtLeast = (role: AdminRole, needed: AdminRole): boolean => ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(needed);

/** Who made a request, as the admin authentication decided it. */
export interface AdminPrincipal {
  /** The administrator's id; undefined for the break-glass FENESTRA_ADMIN_TOKEN. */
  adminId?: string;
  /** The name the audit log records: the administrator's user name, or 'break-glass'. */
  name: string;
  role: AdminRole;
  via: 'session' | 'api-token' | 'break-glass';
  /** For via 'session': the CSRF token every state-changing request of that session must carry. */
  csrfToken?: string;
  /** For via 'api-token': the token's id (the audit records which token acted). */
  tokenId?: string;
  /** For via 'api-token': the token's name, for the audit log's actor. */
  tokenName?: string;
}

/** A named administrator as stored (the password hash never leaves the service layer). */
export interface AdminRecord {
  id: string;
  /** Unique, compared case-insensitively (the store keeps a lower-case key). */
  username: string;
  displayName?: string;
  role: AdminRole;
  /** scrypt hash (identity/passwords.ts); none for an administrator who signs in with Entra ID only. */
  passwordHash?: string;
  /** The OpenID Connect identity this administrator signs in with, if any. */
  externalIssuer?: string;
  externalSubject?: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastSignInAt?: string;
}

/** A browser session: only the SHA-256 of its token is stored. */
export interface AdminSessionRecord {
  tokenHash: string;
  adminId: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end of the session (the idle timeout is counted from lastSeenAt). */
  expiresAt: string;
}

/** A personal API token: `fen_<prefix>_<secret>`; only the SHA-256 of the whole token is stored. */
export interface ApiTokenRecord {
  id: string;
  /** Short public part, shown in lists so its owner recognises the token. */
  prefix: string;
  tokenHash: string;
  name: string;
  adminId: string;
  /** At most the owner's role (and never more than the owner's current role when used). */
  role: AdminRole;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
  /** The API token whose bearer made this one (none when made in a console session or with the break-glass token). */
  parentTokenId?: string;
  /**
   * The administrator whose credential (session or token) made it; none for the break-glass
   * token. Revoking the parent token, or disabling or deleting this administrator, revokes it.
   */
  mintedBy?: string;
}
