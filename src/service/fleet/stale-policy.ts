// The stale-device policy: a device not seen for `staleAfterDays` (never seen: since it enrolled)
// is stale — counted in the fleet summary, listed by `GET /devices?stale=true`; the maintenance
// loop retires (revokes: certificates revoked, the record kept) or deletes the devices not seen
// for `afterDays`, each audited with the actor `system:stale-policy`. Default: count, act on none.
import type { AuditEntry } from '../../domain/audit.js';
import type { DeviceFilter, StaleAction, StalePolicy } from '../../domain/fleet.js';
import type { Store } from '../../store/types.js';
import { invalid } from '../errors.js';

export const DEFAULT_STALE_POLICY: StalePolicy = { staleAfterDays: 30, action: 'none', afterDays: 90 };
export const STALE_POLICY_ACTOR = 'system:stale-policy';
/** Devices retired or deleted per maintenance tick at most: a first run on a large old fleet is spread over ticks. */
const PER_TICK = 500;

export async function currentStalePolicy(store: Store): Promise<StalePolicy> {
  return (await store.devices.stalePolicy()) ?? DEFAULT_STALE_POLICY;
}

export async function setStalePolicy(
  store: Store,
  input: { staleAfterDays: number; action: StaleAction; afterDays?: number },
  actor: string,
  now = new Date(),
): Promise<StalePolicy> {
  const afterDays = input.afterDays ?? Math.max(DEFAULT_STALE_POLICY.afterDays, input.staleAfterDays);
  // Acting on devices that are not even stale yet would retire or delete devices in use.
  if (afterDays < input.staleAfterDays) throw invalid('/afterDays', `afterDays (${afterDays}) is at least staleAfterDays (${input.staleAfterDays})`);
  const at = now.toISOString();
  const policy: StalePolicy = { staleAfterDays: input.staleAfterDays, action: input.action, afterDays, updatedAt: at };
  const before = await store.devices.stalePolicy();
  const audit: AuditEntry = {
    at,
    actor,
    action: 'settings.stale-devices',
    targetType: 'settings',
    targetId: 'stale-devices',
    detail: { staleAfterDays: policy.staleAfterDays, action: policy.action, afterDays, before: before ? { ...before, updatedAt: undefined } : null },
  };
  await store.devices.setStalePolicy(policy, audit);
  return policy;
}

/** One maintenance pass of the policy: the devices it retired and deleted. */
export async function applyStalePolicy(store: Store, now: Date): Promise<{ retired: number; deleted: number }> {
  const p = await store.devices.stalePolicy();
  if (!p || p.action === 'none') return { retired: 0, deleted: 0 };
  const at = now.toISOString();
  const staleBefore = new Date(now.getTime() - p.afterDays * 86_400_000).toISOString();
  // Retire: enrolled devices only. Delete: any record, retired and released ones too.
  const filter: DeviceFilter = p.action === 'retire' ? { staleBefore, state: 'enrolled' } : { staleBefore };
  await store.flush();
  const page = await store.devices.page({ ...filter, sort: 'lastSeen', descending: false, limit: PER_TICK });
  let n = 0;
  for (const { device: d } of page) {
    const last = d.lastSeenAt ?? null;
    const audit: AuditEntry = {
      at,
      actor: STALE_POLICY_ACTOR,
      action: p.action === 'retire' ? 'device.revoke' : 'device.delete',
      targetType: 'device',
      targetId: d.id,
      detail: { lastSeenAt: last, enrolledAt: d.enrolledAt, policy: { afterDays: p.afterDays, action: p.action } },
    };
    const done =
      p.action === 'retire' ? await store.enrollments.revoke(d.id, at, 'stale device retired', audit) : !!(await store.devices.remove(d.id, at, audit));
    if (done) n++;
  }
  return p.action === 'retire' ? { retired: n, deleted: 0 } : { retired: 0, deleted: n };
}
