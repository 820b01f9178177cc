// Store interfaces, by concern. Implementations: store/sqlite (embedded default);
// PostgreSQL comes later and must pass the same behavioural tests.

export type Cloud = 'standard' | 'gcc-high';

export interface Tenant {
  tenantId: string;
  cloud: Cloud;
  audiences: string[];
  enrollmentUrl?: string;
  remediationUrl?: string;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  id?: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  detail?: Record<string, unknown>;
}

export interface EnrollmentAccount {
  username: string;
  passwordHash: string;
  createdAt: string;
}

export type EnrollmentType = 'Full' | 'Device';
export type AuthMethod = 'entra' | 'onpremise';
export type DeviceState = 'enrolled' | 'unenrolled';

export interface Device {
  /** Our identifier (also DMClient EntDMID). */
  id: string;
  /** The client's DeviceID (RST AdditionalContext), equal to ./DevInfo/DevId in OMA-DM sessions. */
  deviceId: string;
  hwDevId?: string;
  entraDeviceId?: string;
  enrollmentType: EnrollmentType;
  authMethod: AuthMethod;
  tenantId?: string;
  userOid?: string;
  upn?: string;
  deviceName?: string;
  osVersion?: string;
  osEdition?: string;
  deviceType?: string;
  state: DeviceState;
  enrolledAt: string;
  updatedAt: string;
  termsAcceptedAt?: string;
  /** OMA-DM digest: name the device uses, and H(name:secret) values (syncml:auth-md5 needs only these). */
  dmUsername: string;
  dmPasswordDigest: string;
  dmServerName: string;
  dmServerDigest: string;
  dmNonce: string;
}

export type CertificateStatus = 'active' | 'superseded' | 'revoked';

export interface IssuedCertificateRecord {
  serial: string;
  devicePk: string;
  thumbprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: CertificateStatus;
  revokedAt?: string;
  revocationReason?: string;
  derBase64: string;
  replacesSerial?: string;
}

export interface TenantStore {
  list(): Promise<Tenant[]>;
  get(tenantId: string): Promise<Tenant | undefined>;
  /** Insert with its audit entry in one transaction; false if it already exists. */
  create(t: Tenant, audit: AuditEntry): Promise<boolean>;
  update(t: Tenant, audit: AuditEntry): Promise<boolean>;
  delete(tenantId: string, audit: AuditEntry): Promise<boolean>;
}

export interface AuditStore {
  append(e: AuditEntry): Promise<void>;
  list(opts: { limit: number; beforeId?: number }): Promise<AuditEntry[]>;
}

export interface EnrollmentAccountStore {
  get(username: string): Promise<EnrollmentAccount | undefined>;
  create(a: EnrollmentAccount, audit: AuditEntry): Promise<boolean>;
  delete(username: string, audit: AuditEntry): Promise<boolean>;
  list(): Promise<Omit<EnrollmentAccount, 'passwordHash'>[]>;
  count(): Promise<number>;
}

export interface DeviceStore {
  get(id: string): Promise<Device | undefined>;
  getByDeviceId(deviceId: string): Promise<Device | undefined>;
  list(opts: { limit: number; offset: number }): Promise<Device[]>;
  count(): Promise<number>;
}

export interface CertificateStore {
  getByThumbprint(thumbprint: string): Promise<IssuedCertificateRecord | undefined>;
  getBySerial(serial: string): Promise<IssuedCertificateRecord | undefined>;
  listForDevice(devicePk: string): Promise<IssuedCertificateRecord[]>;
}

export interface EnrollmentStore {
  /**
   * A new or repeated enrollment, in one transaction: upsert the device by its DeviceID (a
   * re-enrollment keeps our id), revoke its previous certificates, insert the new one.
   */
  recordEnrollment(device: Device, cert: IssuedCertificateRecord): Promise<Device>;
  /** A renewal, in one transaction: insert the new certificate, supersede the old one. */
  recordRenewal(devicePk: string, cert: IssuedCertificateRecord, oldSerial: string, at: string): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  tenants: TenantStore;
  audit: AuditStore;
  enrollmentAccounts: EnrollmentAccountStore;
  devices: DeviceStore;
  certificates: CertificateStore;
  enrollments: EnrollmentStore;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
