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
}
