// Devices as the admin sees them: enrollment, user, current certificate, state.
import type { Store } from '../store/types.js';
import type { Device, IssuedCertificateRecord } from '../domain/device.js';
import { notFound } from './errors.js';
import { CheckinScheduleService } from './checkin-schedule.js';
import type { ProfileStatusService } from './reconcile/status.js';
import { encodeCursor } from './fleet/cursor.js';
import {
  type DeviceListParams,
  type DeviceListItem,
  csvHeader,
  csvRow,
  deviceQuery,
  hostNameOf,
  isFiltered,
  listItem,
  osBuildOf,
  TOTAL_CAP,
} from './fleet/device-list.js';
import { edition } from './fleet/editions.js';
import { currentStalePolicy } from './fleet/stale-policy.js';

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
  /** Reported DNSComputerName, else the enrollment's DeviceName. */
  hostName?: string;
  osVersion?: string;
  /** Reported DevDetail/SwV, else the enrollment's OSVersion. */
  osBuild?: string;
  /** The edition's name ("Enterprise"); its number (OSEdition, "4" at enrollment) in osEditionCode. */
  osEdition?: string;
  osEditionCode?: number;
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
  /** DevDetail Ext/Microsoft/ProcessorArchitecture (int in the DDF: 0 x86, 5 ARM, 9 x64, 12 ARM64). */
  processorArchitecture?: number;
  totalRamMb?: number;
  totalStorageMb?: number;
  freeStorageMb?: number;
  wlanMac?: string;
  language?: string;
  updatedAt?: string;
  /** Every node read, by LocURI, as the device sent it (text). */
  nodes: Record<string, string>;
}

/** An int node (DDF format int) as a number; text that is not one is left out rather than guessed. */
const int = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : undefined);

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
    processorArchitecture: int(n['./DevDetail/Ext/Microsoft/ProcessorArchitecture']),
    totalRamMb: int(n['./DevDetail/Ext/Microsoft/TotalRAM']),
    totalStorageMb: int(n['./DevDetail/Ext/Microsoft/TotalStorage']),
    freeStorageMb: int(n['./DevDetail/Ext/Microsoft/FreeStorage']),
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
    hostName: hostNameOf(d),
    osVersion: d.osVersion,
    osBuild: osBuildOf(d),
    osEdition: edition(d.osEdition).name,
    osEditionCode: edition(d.osEdition).code,
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
  private readonly store: Store;
  private readonly profileStatus?: ProfileStatusService;
  private readonly pushHealth?: (devicePk: string) => Promise<Record<string, unknown>>;
  constructor(
    store: Store,
    profileStatus?: ProfileStatusService,
    /** Push health of a device (service/push) when WNS is configured. */
    pushHealth?: (devicePk: string) => Promise<Record<string, unknown>>,
  ) {
    this.store = store;
    this.profileStatus = profileStatus;
    this.pushHealth = pushHealth;
  }

  /**
   * One page of the device list: filtered, sorted, the lean item per device, and the cursor of
   * the next page (none: this was the last). A filtered list counts its matches up to
   * TOTAL_CAP only: past that, `total` is TOTAL_CAP and `totalIsLowerBound` says there are more.
   */
  async list(p: DeviceListParams, now = new Date()): Promise<{ total: number; totalIsLowerBound?: true; devices: DeviceListItem[]; nextCursor?: string }> {
    const q = deviceQuery(p, (await currentStalePolicy(this.store)).staleAfterDays, now);
    await this.store.flush();
    const upTo = isFiltered(q) ? TOTAL_CAP + 1 : undefined;
    const [counted, rows] = await Promise.all([this.store.devices.countMatching(q, upTo), this.store.devices.page({ ...q, limit: q.limit + 1 })]);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit && last ? encodeCursor(q.sortSpec, last.key, last.device.id) : undefined;
    const devices = page.map((r) => listItem(r.device));
    if (counted > TOTAL_CAP && upTo !== undefined) return { total: TOTAL_CAP, totalIsLowerBound: true, devices, nextCursor };
    return { total: counted, devices, nextCursor };
  }

  /** How many devices match, counted exactly (the dashboard's figures; the list caps its total). */
  async count(p: DeviceListParams, now = new Date()): Promise<number> {
    const q = deviceQuery(p, (await currentStalePolicy(this.store)).staleAfterDays, now);
    await this.store.flush();
    return this.store.devices.countMatching(q);
  }

  /**
   * The list as CSV: a header row, then every matching device (read 1000 at a time), or only
   * `limit` of them when it is given. The request is checked before the first line is written.
   */
  async csv(p: DeviceListParams, now = new Date()): Promise<AsyncGenerator<string>> {
    const q = deviceQuery(p, (await currentStalePolicy(this.store)).staleAfterDays, now);
    await this.store.flush();
    const devices = this.store.devices;
    return (async function* () {
      yield csvHeader();
      let left = p.limit ?? Infinity;
      let after = q.after;
      let offset = q.offset;
      while (left > 0) {
        const want = Math.min(1000, left);
        const rows = await devices.page({ ...q, after, offset, limit: want });
        for (const r of rows) yield csvRow(listItem(r.device));
        left -= rows.length;
        if (rows.length < want) break;
        const last = rows[rows.length - 1];
        after = { key: last.key, id: last.device.id };
        offset = undefined;
      }
    })();
  }

  /** Delete the record (revoking its certificates first) and everything keyed to it; a later enrollment of its DeviceID starts afresh. */
  async remove(ref: string, actor: string, now = new Date()) {
    await this.store.flush();
    const d = (await this.store.devices.get(ref)) ?? (await this.store.devices.getByDeviceId(ref));
    if (!d) throw notFound('device');
    const at = now.toISOString();
    const gone = await this.store.devices.remove(d.id, at, {
      at,
      actor,
      action: 'device.delete',
      targetType: 'device',
      targetId: d.id,
      detail: { state: d.state },
    });
    if (!gone) throw notFound('device');
    return { id: d.id, deviceId: d.releasedDeviceId ?? d.deviceId, revokedCertificates: gone.certificates, removed: gone.rows };
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
