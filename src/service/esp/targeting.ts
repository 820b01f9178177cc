// Which ESP policy applies to a device (and its signed-in user), and which of its required
// profiles each phase waits for. Targets work as profile assignments (reconcile/catalog.ts): the
// device's and its users' local groups from the catalog snapshot, their Entra groups from the
// synced memberships. A policy aimed at a group or an Entra group wins over one for all; among
// equals the oldest wins.
import type { Device } from '../../domain/device.js';
import type { EspPolicy } from '../../domain/esp.js';
import type { Store } from '../../store/types.js';
import { entraPrincipals, targetsFor, type LiveProfile } from '../reconcile/catalog.js';
import type { Reconciler, UserContext } from '../reconcile/index.js';

export type EspDevice = Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn'>;

export interface PhaseTargets {
  /** The policy of the device phase (targeting the device and its primary user). */
  devicePolicy?: EspPolicy;
  /** The policy of the user phase (targeting the device, its primary user or the signed-in user). */
  userPolicy?: EspPolicy;
  /** Required profiles assigned to the device tree, and to the user's tree, of each phase's policy. */
  deviceItems: LiveProfile[];
  userItems: LiveProfile[];
}

/** Does the policy target one of these local groups / Entra groups (or all)? */
export function policyApplies(p: EspPolicy, groups: ReadonlySet<string>, entraGroups: ReadonlySet<string>): boolean {
  if (p.target.type === 'all') return true;
  if (!p.target.id) return false;
  return p.target.type === 'group' ? groups.has(p.target.id) : entraGroups.has(p.target.id);
}

/** The policy that applies: a group/Entra group target before "all", then the oldest, then by id. */
export function choosePolicy(policies: EspPolicy[], groups: ReadonlySet<string>, entraGroups: ReadonlySet<string>): EspPolicy | undefined {
  const rank = (p: EspPolicy) => (p.target.type === 'all' ? 1 : 0);
  return policies
    .filter((p) => policyApplies(p, groups, entraGroups))
    .sort((a, b) => rank(a) - rank(b) || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))[0];
}

/** The policies and required items of both phases for (device, user). Reads the catalog snapshot, and Entra memberships only when something targets Entra groups. */
export async function phaseTargets(store: Store, reconciler: Reconciler, policies: EspPolicy[], device: EspDevice, user?: UserContext): Promise<PhaseTargets> {
  const snap = await reconciler.catalog.snapshot();
  const groupsOf = (ids: (string | undefined)[]) => new Set(ids.flatMap((id) => (id ? (snap.groupsOf.get(id) ?? []) : [])));
  const primary = [device.userOid?.toLowerCase(), device.upn?.toLowerCase()];
  const deviceGroups = groupsOf([device.id, device.deviceId, device.entraDeviceId, ...primary]);
  const userGroups = new Set([...deviceGroups, ...groupsOf(user ? [user.oid.toLowerCase(), user.upn?.toLowerCase()] : [])]);
  const wantEntra = snap.entraTargets || policies.some((p) => p.target.type === 'entraGroup');
  const principals = wantEntra ? entraPrincipals(device, user) : [];
  const entra = principals.length ? await reconciler.entraGroupsOf(principals, await store.entraGroups.stamps(principals)) : undefined;
  const entraOf = (ids: (string | undefined)[]) => new Set(ids.flatMap((id) => (id && entra ? (entra.get(id.toLowerCase()) ?? []) : [])));
  const deviceEntra = entraOf([device.entraDeviceId, device.userOid]);
  const userEntra = new Set([...deviceEntra, ...entraOf([user?.oid])]);
  const devicePolicy = choosePolicy(policies, deviceGroups, deviceEntra);
  const userPolicy = user ? choosePolicy(policies, userGroups, userEntra) : undefined;
  const targets = targetsFor(snap, device, user ? { oid: user.oid, upn: user.upn } : undefined, entra);
  const required = (p: EspPolicy | undefined, list: LiveProfile[]) => (p ? p.requiredProfileIds.flatMap((id) => list.filter((l) => l.id === id)) : []);
  return { devicePolicy, userPolicy, deviceItems: required(devicePolicy, targets.device), userItems: required(userPolicy, targets.user) };
}
