// An app's deployments and delivery status as the console reads them: apps reach devices as
// profiles of kind 'app' (settings { app, intent }), so an app's deployments are those profiles'
// assignments and its status per device and user is their delivery rows, said in app words
// (verified: installed; delivered: installing, the stage in the detail; failed with LastError).
import type { AppProfileSettings } from '../../../domain/app.js';
import type { Assignment, ProfileDelivery } from '../../../domain/profile.js';
import type { ProfileView } from '../../../service/profiles.js';
import type { ConsoleDeps } from '../deps.js';

/** Most delivery rows one app page lists per profile. */
const ROWS_SHOWN = 500;

export interface AppProfile {
  profile: ProfileView;
  intent: AppProfileSettings['intent'];
}

/** The live profiles of kind 'app' delivering `appId` (every app when undefined), by app id. */
export async function appProfiles(deps: ConsoleDeps, appId?: string): Promise<Map<string, AppProfile[]>> {
  const out = new Map<string, AppProfile[]>();
  for (const p of await deps.profiles.list()) {
    if (p.kind !== 'app') continue;
    const s = p.settings as Partial<AppProfileSettings>;
    if (typeof s.app !== 'string' || (appId !== undefined && s.app !== appId)) continue;
    const list = out.get(s.app) ?? [];
    list.push({ profile: p, intent: s.intent === 'uninstall' ? 'uninstall' : 'install' });
    out.set(s.app, list);
  }
  return out;
}

export type AppState = 'installed' | 'installing' | 'uninstalled' | 'uninstalling' | 'failed' | 'pending' | 'held';

/** A delivery row's status in app words, for the profile's intent. */
export function appState(status: string, intent: AppProfile['intent']): AppState {
  switch (status) {
    case 'verified':
      return intent === 'install' ? 'installed' : 'uninstalled';
    case 'delivered':
      return intent === 'install' ? 'installing' : 'uninstalling';
    case 'removing':
      return 'uninstalling';
    case 'removed':
      return 'uninstalled';
    case 'failed':
      return 'failed';
    case 'held':
      return 'held';
    default:
      return 'pending';
  }
}

export const STATE_TONE: Record<AppState, string> = {
  installed: 'ok',
  uninstalled: 'ok',
  installing: 'warn',
  uninstalling: 'warn',
  pending: 'warn',
  held: 'warn',
  failed: 'bad',
};

export interface Deployment extends Assignment {
  profileId: string;
  intent: AppProfile['intent'];
  scope: string;
}

export async function deployments(deps: ConsoleDeps, profiles: AppProfile[]): Promise<Deployment[]> {
  const out: Deployment[] = [];
  for (const { profile, intent } of profiles) {
    const p = await deps.profiles.get(profile.id);
    for (const a of p.assignments) out.push({ ...a, profileId: p.id, intent, scope: p.scope });
  }
  return out;
}

export interface StatusRow {
  row: ProfileDelivery;
  intent: AppProfile['intent'];
  state: AppState;
  /** The row is about an older version of the profile (an older live version of the app). */
  older: boolean;
}

/** Every delivery row of these profiles, newest first. */
export async function statusRows(deps: ConsoleDeps, profiles: AppProfile[]): Promise<StatusRow[]> {
  await deps.store.flush();
  const out: StatusRow[] = [];
  for (const { profile, intent } of profiles) {
    for (const row of await deps.store.deliveries.list(profile.id, { limit: ROWS_SHOWN, offset: 0 })) {
      out.push({ row, intent, state: appState(row.status, intent), older: row.version < profile.version });
    }
  }
  return out.sort((a, b) => b.row.updatedAt.localeCompare(a.row.updatedAt));
}

/** Installed, installing and failed rows of an app's install profiles (the list's summary). */
export async function summary(deps: ConsoleDeps, profiles: AppProfile[]): Promise<{ installed: number; installing: number; failed: number }> {
  const s = { installed: 0, installing: 0, failed: 0 };
  for (const { profile, intent } of profiles) {
    if (intent !== 'install') continue;
    const c = (await deps.store.deliveries.summary(profile.id, profile.version)).counts;
    s.installed += c.verified ?? 0;
    s.installing += c.delivered ?? 0;
    s.failed += c.failed ?? 0;
  }
  return s;
}
