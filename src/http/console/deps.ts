// What console pages are given: the admin API's services (AdminDeps, which holds the
// administrators' AdminService too), so a page calls the same services the API does.
import type { AdminDeps } from '../admin/index.js';

export type ConsoleDeps = AdminDeps;
export type { SignedIn } from '../../service/admins/service.js';
