// Devices as the admin sees them: enrollment, user, current certificate, state.
import type { Store } from '../store/types.js';
import type { Device, IssuedCertificateRecord } from '../domain/device.js';
import { notFound } from './errors.js';
import { CheckinScheduleService } from './checkin-schedule.js';
import type { ProfileStatusService } from './reconcile/status.js';

export interface DeviceView {
  id: string;
  deviceId: string;
  state: Device['state'];
  /** Released: unenrolled, and its DeviceID enrolled afresh since (this record is history). */
  released?: boolean;
  /** A revocation waiting for a wipe/retire to be answered (POST /devices/:id/revoke with after). */
  revokeAfter?: { command: string; deadline?: string };
  enrollmentType: Device['enrollmentType'];
  authMethod: Device['authMethod'];
  entraDeviceId?: string;
  tenantId?: string;
  user?: { oid?: string; upn?: string };
  deviceName?: string;
  osVersion?: string;
  osEdition?: string;
  deviceType?: string;
  hwDevId?: string;
  enrolledAt: string;
  updatedAt: string;
  termsAcceptedAt?: string;
  certificate?: { serial: string; thumbprint: string; subject: string; notBefore: string; notAfter: string; status: string };
  lastSeenAt?: string;
  /** The Entra user signed in at the last check-in, and what LoginStatus said. */
  signedInUser?: { oid: string; upn?: string };
  loginStatus?: string;
  inventory?: InventoryView;
}

export interface InventoryView {
  osVersion?: string;
  osEdition?: string;
  manufacturer?: string;
  model?: string;
  serialNumber?: string;
  hostname?: string;
  deviceName?: string;
  processorArchitecture?: string;
  totalRamMb?: string;
  totalStorageMb?: string;
  freeStorageMb?: string;
  wlanMac?: string;
  language?: string;
  updatedAt?: string;
  /** Every node read, by LocURI. */
  nodes: Record<string, string>;
}

function inventoryView(d: Device): InventoryView | undefined {
  const n = d.inventory;
  if (!n) return undefined;
  return {
    osVersion: n['./DevDetail/SwV'],
    osEdition: n['./DevDetail/Ext/Microsoft/OSPlatform'],
    manufacturer: n['./DevInfo/Man'] ?? n['./DevDetail/OEM'],
    model: n['./DevInfo/Mod'],
    serialNumber: n['./DevDetail/Ext/Microsoft/SMBIOSSerialNumber'],
    hostname: n['./DevDetail/Ext/Microsoft/DNSComputerName'],
    deviceName: n['./DevDetail/Ext/Microsoft/DeviceName'],
    processorArchitecture: n['./DevDetail/Ext/Microsoft/ProcessorArchitecture'],
    totalRamMb: n['./DevDetail/Ext/Microsoft/TotalRAM'],
    totalStorageMb: n['./DevDetail/Ext/Microsoft/TotalStorage'],
    freeStorageMb: n['./DevDetail/Ext/Microsoft/FreeStorage'],
    wlanMac: n['./DevDetail/Ext/WLANMACAddress'],
    language: n['./DevInfo/Lang'],
    updatedAt: d.inventoryAt,
    nodes: n,
  };
}

const certView = (c: IssuedCertificateRecord) => ({
  serial: c.serial,
  thumbprint: c.thumbprint,
  subject: c.subject,
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  status: c.status,
});

export function deviceView(d: Device, cert?: IssuedCertificateRecord): DeviceView {
  return {
    id: d.id,
    deviceId: d.releasedDeviceId ?? d.deviceId,
    state: d.state,
    released: d.releasedDeviceId ? true : undefined,
    revokeAfter: d.revokeCommand ? { command: d.revokeCommand, deadline: d.revokeDeadline } : undefined,
    enrollmentType: d.enrollmentType,
    authMethod: d.authMethod,
    entraDeviceId: d.entraDeviceId,
    tenantId: d.tenantId,
    user: d.userOid || d.upn ? { oid: d.userOid, upn: d.upn } : undefined,
    deviceName: d.deviceName,
    osVersion: d.osVersion,
    osEdition: d.osEdition,
    deviceType: d.deviceType,
    hwDevId: d.hwDevId,
    enrolledAt: d.enrolledAt,
    updatedAt: d.updatedAt,
    termsAcceptedAt: d.termsAcceptedAt,
    certificate: cert ? certView(cert) : undefined,
    lastSeenAt: d.lastSeenAt,
    signedInUser: d.currentUserOid ? { oid: d.currentUserOid, upn: d.currentUserUpn } : undefined,
    loginStatus: d.loginStatus,
    inventory: inventoryView(d),
  };
}

export class DeviceService {
  constructor(
    private readonly store: Store,
    private readonly profileStatus?: ProfileStatusService,
    /** Push health of a device (service/push) when WNS is configured. */
    private readonly pushHealth?: (devicePk: string) => Promise<Record<string, unknown>>,
  ) {}

  async list(limit: number, offset: number): Promise<{ total: number; devices: DeviceView[] }> {
    await this.store.flush();
    const [total, devices] = await Promise.all([this.store.devices.count(), this.store.devices.list({ limit, offset })]);
    return { total, devices: devices.map((d) => deviceView(d)) };
  }

  async get(id: string) {
    await this.store.flush();
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    const [certs, logins, alerts, queued, profiles] = await Promise.all([
      this.store.certificates.listForDevice(d.id),
      this.store.traces.logins(d.id),
      this.store.traces.alerts(d.id, 20),
      this.store.commands.countQueued(d.id),
      this.profileStatus?.forDevice(d),
    ]);
    return {
      ...deviceView(
        d,
        certs.find((c) => c.status === 'active'),
      ),
      certificates: certs.map(certView),
      loginHistory: logins,
      recentAlerts: alerts,
      pendingCommands: queued,
      /** Profile status per user (null: the device tree). */
      profiles,
      /** WNS push: channel status, last push and its result, failures in a row. */
      push: this.pushHealth ? await this.pushHealth(d.id) : { configured: false },
      /** Check-in schedule: effective (and from where), its delivery, the next check-in expected (service/checkin-schedule.ts). */
      checkin: await new CheckinScheduleService(this.store).view(d),
    };
  }
}
