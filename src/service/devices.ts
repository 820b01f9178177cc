// Devices as the admin sees them: enrollment, user, current certificate, state.
import type { Device, IssuedCertificateRecord, Store } from '../store/types.js';
import { notFound } from './errors.js';

export interface DeviceView {
  id: string;
  deviceId: string;
  state: Device['state'];
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
    deviceId: d.deviceId,
    state: d.state,
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
  };
}

export class DeviceService {
  constructor(private readonly store: Store) {}

  async list(limit: number, offset: number): Promise<{ total: number; devices: DeviceView[] }> {
    const [total, devices] = await Promise.all([this.store.devices.count(), this.store.devices.list({ limit, offset })]);
    return { total, devices: devices.map((d) => deviceView(d)) };
  }

  async get(id: string): Promise<DeviceView & { certificates: ReturnType<typeof certView>[] }> {
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    const certs = await this.store.certificates.listForDevice(d.id);
    return { ...deviceView(d, certs.find((c) => c.status === 'active')), certificates: certs.map(certView) };
  }
}
