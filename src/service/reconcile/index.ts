// The reconciler as the session engine and the admin API use it: who the session's user is,
// settling answered deliveries, planning what a (device, user) pair still needs, and the
// secrets of queued profile commands (sealed in the store, opened only to send them).
import { decrypt, encrypt } from '../../identity/secret-box.js';
import type { ProfileDelta } from '../../protocol/csp/delta.js';
import type { CompiledProfile } from '../../protocol/csp/types.js';
import type { Store } from '../../store/types.js';
import type { CommandAck, CommandPayload, CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import type { DmSessionState } from '../../domain/session.js';
import { mapSealed } from '../commands/sealed.js';
import { resolvePayloadContent, type ContentUrls } from '../commands/content-tokens.js';
import { ProfileCatalog, entraPrincipals, type EntraMemberships } from './catalog.js';
import { settleDeliveries } from './outcome.js';
import { planSession, type Plan } from './plan.js';

export type { Plan, PlanEntry } from './plan.js';

/** Principals whose Entra groups are kept in memory (each a few ids). */
const ENTRA_CACHE = 50_000;

export interface UserContext {
  key: string;
  oid: string;
  upn?: string;
}

type PlanDevice = Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn' | 'enrollmentType' | 'planMark'>;

export interface SessionPlan {
  plan: Plan;
  /** `generation:user:presence[:stamps]` to store as the device's plan mark, when the plan is settled. */
  mark: string;
}

export class Reconciler {
  readonly catalog: ProfileCatalog;
  private readonly deltas = new Map<string, ProfileDelta>();
  /** A principal's Entra groups by `principal:stamp` (a stamp moves when its groups change). */
  private readonly entraCache = new Map<string, string[]>();
  private readonly store: Store;
  private readonly key: Buffer;
  private readonly contentUrls: ContentUrls | undefined;

  /** `contentUrls`: signs the package URLs of app commands when they are sent (without it, their tokens stay). */
  constructor(store: Store, key: Buffer, o: { contentUrls?: ContentUrls } = {}) {
    this.store = store;
    this.key = key;
    this.contentUrls = o.contentUrls;
    this.catalog = new ProfileCatalog(store, key);
  }

  /**
   * The ./User context of a session. Entra join (Device) is multi-user: the validated user of
   * this session, if any. A work-account (Full) enrollment is single-user: its enrolled user,
   * except in a Machine session.
   */
  userContext(
    device: Pick<Device, 'enrollmentType' | 'userOid' | 'upn'>,
    state: Pick<DmSessionState, 'user'>,
    mode: string | undefined,
  ): UserContext | undefined {
    if (mode === 'Machine') return undefined;
    if (device.enrollmentType === 'Device') return state.user ? { key: state.user.oid.toLowerCase(), oid: state.user.oid, upn: state.user.upn } : undefined;
    const id = device.userOid ?? device.upn;
    return id ? { key: id.toLowerCase(), oid: id, upn: device.upn } : undefined;
  }

  /**
   * Does the session say a user is there? A validated Entra user; on a Full enrollment, unless
   * LoginStatus said nobody (or a user without an account). Decides whether a refusal of ./User
   * settings is tried again when a user is reported (see outcome.ts).
   */
  userPresent(device: Pick<Device, 'enrollmentType'>, state: Pick<DmSessionState, 'user' | 'loginStatus'>): boolean {
    if (state.user) return true;
    return device.enrollmentType === 'Full' && state.loginStatus !== 'none' && state.loginStatus !== 'others';
  }

  /** Rows completed by this turn's answers (only commands that belong to a profile delivery). */
  async settle(
    devicePk: string,
    acks: Map<string, CommandAck>,
    answered: Map<string, CommandRecord>,
    at: string,
    userPresent: boolean,
  ): Promise<{ rows: ProfileDelivery[]; updates: ProfileDelivery[] } | undefined> {
    const batches = new Set<string>();
    for (const a of acks.values()) {
      const b = answered.get(a.commandId)?.batch;
      if (b) batches.add(b);
    }
    if (batches.size === 0) return undefined;
    const [commands, rows] = await Promise.all([this.store.management.batchCommands([...batches]), this.store.deliveries.forDevice(devicePk)]);
    const updates = settleDeliveries({ rows, commands, acks, at, userPresent });
    return { rows: mergeRows(rows, updates), updates };
  }

  /**
   * What the pair (device, user) needs now. Undefined when the device's plan mark says nothing
   * changed since its last settled plan (and no answers arrived: `rows` not given).
   */
  async plan(
    device: PlanDevice,
    user: UserContext | undefined,
    o: { userPresent: boolean; at: string; rows?: ProfileDelivery[]; planId?: string; force?: boolean },
  ): Promise<SessionPlan | undefined> {
    const snap = await this.catalog.snapshot();
    // What a settled plan depended on: the profiles (generation), the user tree, and whether a user
    // is reported (a refused ./User delivery is retried when one is).
    // With profiles assigned to Entra groups, also the membership stamps of the device's principals:
    // a membership change re-plans the devices of the principals that joined or left, and no other.
    const principals = snap.entraTargets ? entraPrincipals(device, user) : [];
    const stamps = principals.length ? await this.store.entraGroups.stamps(principals) : [];
    const mark = `${snap.gen}:${user?.key ?? '-'}:${o.userPresent ? 'u' : 'n'}${stamps.length ? `:${stamps.join('.')}` : ''}`;
    if (!o.force && !o.rows && device.planMark === mark) return undefined;
    const entra = principals.length ? await this.entraGroupsOf(principals, stamps) : undefined;
    const rows = o.rows ?? (await this.store.deliveries.forDevice(device.id));
    const bases = new Map<string, CompiledProfile | null>();
    for (let round = 0; ; round++) {
      const plan = planSession({
        snap,
        device,
        user,
        userPresent: o.userPresent,
        entra,
        rows,
        base: (id, v) => bases.get(`${id}:${v}`) ?? this.catalog.cachedVersion(id, v),
        at: o.at,
        planId: o.planId,
        deltas: this.deltas,
        seal: (v) => encrypt(v, this.key),
      });
      if (plan.missing.length === 0 || round > 0) return { plan, mark };
      for (const m of plan.missing) bases.set(`${m.profileId}:${m.version}`, await this.catalog.compiledVersion(m.profileId, m.version));
    }
  }

  /** The Entra groups of these principals at these stamps: one indexed lookup for those not cached. */
  async entraGroupsOf(principals: string[], stamps: number[]): Promise<EntraMemberships> {
    const out: EntraMemberships = new Map();
    const missing: string[] = [];
    principals.forEach((p, i) => {
      const hit = this.entraCache.get(`${p}:${stamps[i]}`);
      if (hit) out.set(p, hit);
      else missing.push(p);
    });
    if (missing.length) {
      const found = await this.store.entraGroups.groupsOf(missing);
      for (const p of missing) {
        const groups = found.get(p) ?? [];
        out.set(p, groups);
        if (this.entraCache.size >= ENTRA_CACHE) this.entraCache.delete(this.entraCache.keys().next().value!);
        this.entraCache.set(`${p}:${stamps[principals.indexOf(p)]}`, groups);
      }
    }
    return out;
  }

  /** The payload as the device must receive it (sealed secrets opened, `{{content:<sha256>}}` tokens made signed URLs). */
  reveal(p: CommandPayload): CommandPayload {
    const open = mapSealed(p, (d) => decrypt(d, this.key));
    return this.contentUrls ? resolvePayloadContent(open, this.contentUrls) : open;
  }
}

export function mergeRows(rows: ProfileDelivery[], updates: ProfileDelivery[]): ProfileDelivery[] {
  if (!updates.length) return rows;
  const k = (r: ProfileDelivery) => `${r.userKey}\u0000${r.profileId}`;
  const m = new Map(rows.map((r) => [k(r), r]));
  for (const u of updates) m.set(k(u), u);
  return [...m.values()];
}
