// A device's compliance as the API and the console show it: its state (evaluated again when stale)
// and how its newest report to Entra went (the outbox's row: refused by Graph says so here).
import type { Store } from '../../store/types.js';
import type { ComplianceReason, ComplianceState } from '../../domain/compliance.js';
import { notFound } from '../errors.js';
import type { ComplianceService } from './service.js';

export interface ReportingStatus {
  state: 'pending' | 'sent' | 'superseded' | 'refused' | 'failed';
  isCompliant?: boolean;
  error?: string;
  at: string;
}

export interface DeviceComplianceReply {
  deviceId: string;
  state: ComplianceState;
  reasons: ComplianceReason[];
  policies: string[];
  evaluatedAt?: string;
  noncompliantSince?: string;
  reportedCompliant?: boolean;
  reporting?: ReportingStatus;
}

export class DeviceComplianceView {
  private readonly store: Store;
  private readonly compliance: ComplianceService;
  constructor(store: Store, compliance: ComplianceService) {
    this.store = store;
    this.compliance = compliance;
  }

  /** The device's newest report to Entra: pending, sent, refused by Graph (and why)… */
  private async reporting(devicePk: string): Promise<ReportingStatus | undefined> {
    const r = await this.store.complianceOutbox.latestFor(devicePk);
    if (!r) return undefined;
    return { state: r.state, isCompliant: r.isCompliant, ...(r.lastError ? { error: r.lastError } : {}), at: r.sentAt ?? r.createdAt };
  }

  async forDevice(idOrDeviceId: string): Promise<DeviceComplianceReply> {
    const d = (await this.store.devices.get(idOrDeviceId)) ?? (await this.store.devices.getByDeviceId(idOrDeviceId));
    if (!d) throw notFound('device');
    const s = (await this.compliance.evaluateDevice(d)) ?? (await this.store.compliance.get(d.id));
    const reporting = await this.reporting(d.id);
    return {
      deviceId: d.id,
      state: s?.state ?? 'unknown',
      reasons: s?.reasons ?? [],
      policies: s?.policies ?? [],
      ...(s ? { evaluatedAt: s.evaluatedAt } : {}),
      ...(s?.noncompliantSince ? { noncompliantSince: s.noncompliantSince } : {}),
      ...(s?.reportedCompliant !== undefined ? { reportedCompliant: s.reportedCompliant } : {}),
      ...(reporting ? { reporting } : {}),
    };
  }
}
