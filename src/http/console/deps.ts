// What console pages are given: the admin API's services, and the administrators' service.
import type { AdminRole } from '../../domain/admin.js';
import type { AdminDeps } from '../admin/index.js';

/** The sign-in part of the AdminService the console uses (src/service/admins/service.ts). */
export interface SignedIn {
  sessionToken: string;
  csrfToken: string;
  expiresAt: string;
  admin: { id: string; username: string; displayName?: string; role: AdminRole };
}
export interface ConsoleAdmins {
  needsSetup(): Promise<boolean>;
  completeSetup(code: string, input: { username: string; displayName?: string; password: string }, ip: string): Promise<SignedIn>;
  signInWithPassword(username: string, password: string, ip: string): Promise<SignedIn>;
  signOut(sessionToken: string): Promise<void>;
}

export interface ConsoleDeps extends AdminDeps {
  admins: ConsoleAdmins;
}
