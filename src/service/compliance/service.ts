// Compliance orchestration: which policies apply to a device, its evaluation (evaluate.ts) when
// its inventory arrives, when read after a policy or assignment change, and in a background pass;
// its state written with, when the value Entra should see changes, a report in the outbox (one
// transaction, store.compliance.record; the outbox's worker sends it: outbox.ts).
import type { Logger } from 'pino';
import type { ComplianceTargetKeys, Store } from '../../store/types.js';
import type { CompliancePolicy, DeviceCompliance, ComplianceReportRequest } from '../../domain/compliance.js';
import type { Device } from '../../domain/device.js';
import { evaluate } from './evaluate.js';

export interface ComplianceDeps {
  store: Store;
  now: () => Date;
  log: Logger;
  /** Called after a report was queued (wakes this process's outbox worker). */
  notify?: () => void;
}

/** The assignment keys of a device: its ids, and its primary (enrolling) user's oid and UPN, lower-cased as group members are. */
export function targetKeys(d: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn'>): ComplianceTargetKeys {
  const device = [d.id, d.deviceId, d.entraDeviceId].filter((k): k is string => !!k);
  const user = [d.userOid, d.upn].filter((k): k is string => !!k).map((k) => k.toLowerCase());
  return { device, user };
}

/**
 * What Entra should be told: inGracePeriod counts as compliant (as Intune reports it), unknown
 * reports nothing; only devices joined to Entra (device id and tenant) are reported.
 */
export function reportedValue(d: Pick<Device, 'tenantId' | 'entraDeviceId'>, state: DeviceCompliance['state']): boolean | undefined {
  if (!d.tenantId || !d.entraDeviceId || state === 'unknown') return undefined;
  return state !== 'noncompliant';
}

const same = (a: DeviceCompliance, b: DeviceCompliance) =>
  a.state === b.state &&
  a.gen === b.gen &&
  a.noncompliantSince === b.noncompliantSince &&
  a.reportedCompliant === b.reportedCompliant &&
  JSON.stringify(a.reasons) === JSON.stringify(b.reasons) &&
  JSON.stringify(a.policies) === JSON.stringify(b.policies);

export class ComplianceService {
  private cache?: { gen: number; byId: Map<string, CompliancePolicy> };
  private timer?: NodeJS.Timeout;
  private passing?: Promise<number>;
  private lastPass?: { marks: string; at: number };
  private readonly deps: ComplianceDeps;

  constructor(deps: ComplianceDeps) {
    this.deps = deps;
  }

  /** Every policy, read again only when the compliance generation moved. */
  private async policies(gen: number): Promise<Map<string, CompliancePolicy>> {
    if (this.cache?.gen === gen) return this.cache.byId;
    const byId = new Map((await this.deps.store.compliance.listPolicies()).map((p) => [p.id, p]));
    this.cache = { gen, byId };
    return byId;
  }

  /** The policies assigned to a device. */
  async policiesFor(d: Device, gen?: number): Promise<CompliancePolicy[]> {
    const g = gen ?? (await this.deps.store.compliance.generation());
    const [byId, ids] = await Promise.all([this.policies(g), this.deps.store.compliance.policiesFor(targetKeys(d))]);
    return ids.map((id) => byId.get(id)).filter((p): p is CompliancePolicy => !!p);
  }

  /**
   * Evaluate one device and write its state when it changed (`touch`: write anyway, the
   * evaluation time moves: its inventory just arrived). Unenrolled devices are not evaluated.
   */
  async evaluateDevice(d: Device, opts: { touch?: boolean } = {}): Promise<DeviceCompliance | undefined> {
    if (d.state !== 'enrolled') return undefined;
    const { store } = this.deps;
    const now = this.deps.now();
    const gen = await store.compliance.generation();
    const [policies, prev] = await Promise.all([this.policiesFor(d, gen), store.compliance.get(d.id)]);
    const e = evaluate(policies, { inventory: d.inventory ?? {}, tenantId: d.tenantId, lastSeenAt: d.lastSeenAt, enrolledAt: d.enrolledAt }, now, prev);
    const value = reportedValue(d, e.state);
    const report: ComplianceReportRequest | undefined =
      value !== undefined && value !== prev?.reportedCompliant
        ? { devicePk: d.id, tenantId: d.tenantId!, entraDeviceId: d.entraDeviceId!, isCompliant: value, isManaged: true, createdAt: now.toISOString() }
        : undefined;
    const next: DeviceCompliance = {
      devicePk: d.id,
      state: e.state,
      reasons: e.reasons,
      policies: e.policies,
      evaluatedAt: now.toISOString(),
      ...(e.noncompliantSince ? { noncompliantSince: e.noncompliantSince } : {}),
      gen,
      ...((report?.isCompliant ?? prev?.reportedCompliant) !== undefined ? { reportedCompliant: report?.isCompliant ?? prev?.reportedCompliant } : {}),
    };
    if (prev && !opts.touch && !report && same(prev, next)) return prev;
    await store.compliance.record(next, report);
    if (prev?.state !== next.state) this.deps.log.info({ device: d.id, from: prev?.state ?? 'none', to: next.state }, 'compliance state changed');
    if (report) this.deps.notify?.();
    return next;
  }

  /** The device's inventory Get was answered (end of that session's turn): evaluate it now. */
  async inventoryArrived(devicePk: string): Promise<void> {
    const d = await this.deps.store.devices.get(devicePk);
    if (d) await this.evaluateDevice(d, { touch: true });
  }

  /** Every enrolled device, page by page (the background pass). Returns how many were evaluated. */
  async evaluateAll(pageSize = 500): Promise<number> {
    let after: { key: string; id: string } | undefined;
    let n = 0;
    for (;;) {
      const page = await this.deps.store.devices.page({ sort: 'enrolledAt', descending: false, limit: pageSize, after, state: 'enrolled' });
      for (const { device } of page) {
        try {
          await this.evaluateDevice(device);
          n++;
        } catch (err) {
          this.deps.log.warn({ err, device: device.id }, 'compliance evaluation failed');
        }
      }
      if (page.length < pageSize) return n;
      const last = page[page.length - 1];
      after = { key: last.key, id: last.device.id };
    }
  }

  /**
   * One tick of the background pass: every device is evaluated when a policy, an assignment or a
   * local group changed (the compliance and profile generations), and every `fullPassMs` anyway
   * (grace periods end, check-in windows close). Nothing to do while no policy exists and no state was kept.
   */
  async tick(fullPassMs: number): Promise<number> {
    if (this.passing) return this.passing;
    const { store } = this.deps;
    const marks = `${await store.compliance.generation()}:${await store.profiles.generation()}`;
    const at = this.deps.now().getTime();
    if (this.lastPass && this.lastPass.marks === marks && at - this.lastPass.at < fullPassMs) return 0;
    if (!(await store.compliance.listPolicies()).length && !Object.keys(await store.compliance.counts()).length) {
      this.lastPass = { marks, at };
      return 0;
    }
    this.passing = this.evaluateAll().finally(() => (this.passing = undefined));
    const n = await this.passing;
    this.lastPass = { marks, at };
    return n;
  }

  /** Runs `tick` every `checkMs` until stop(). */
  start(checkMs = 60_000, fullPassMs = 3600_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick(fullPassMs).then(
        (n) => n > 0 && this.deps.log.info({ devices: n }, 'compliance pass'),
        (err) => this.deps.log.warn({ err }, 'compliance pass failed'),
      );
    }, checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.passing?.catch(() => undefined);
  }
}
