// What each administrator role may do: one table for the admin API and the console alike, so a
// button the console hides is also refused by the server. A capability names the least role
// that holds it (roles are ordered, see domain/admin.ts).
import { type AdminPrincipal, type AdminRole, roleAtLeast } from '../../domain/admin.js';

export const CAPABILITIES = {
  /** Devices, fleet summary, profiles and their status, groups, tenants, schedules, settings. */
  read: 'read-only',
  /** Session traces (redacted) and the dry-run plan of a device. */
  'devices.diagnose': 'helpdesk',
  'devices.sync': 'helpdesk',
  'devices.reboot': 'helpdesk',
  'devices.push': 'helpdesk',
  'devices.cancel-command': 'helpdesk',
  'devices.wipe': 'admin',
  'devices.retire': 'admin',
  'devices.revoke': 'admin',
  'devices.delete': 'admin',
  /** Raw SyncML commands (Add/Replace/Delete/Exec of any node). */
  'devices.raw-command': 'admin',
  'profiles.write': 'admin',
  'groups.write': 'admin',
  /** Check-in schedules, the stale-device policy, push settings. */
  'settings.write': 'admin',
  'audit.read': 'admin',
  /** Enrollment accounts hold credentials that enroll devices. */
  'enrollment-accounts.read': 'admin',
  'enrollment-accounts.write': 'owner',
  'tenants.write': 'owner',
  /** Administrators, their roles, and anyone's API tokens. */
  'admins.manage': 'owner',
} as const satisfies Record<string, AdminRole>;

export type Capability = keyof typeof CAPABILITIES;

export const can = (principal: Pick<AdminPrincipal, 'role'>, capability: Capability): boolean => roleAtLeast(principal.role, CAPABILITIES[capability]);
