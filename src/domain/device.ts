// An enrolled (or released) device and the certificates fenestra issued to it.

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
  lastSeenAt?: string;
  currentUserOid?: string;
  currentUserUpn?: string;
  /** Last LoginStatus alert: user | others | none. */
  loginStatus?: string;
  /** Inventory: LocURI → value (DevInfo from package 1, DevDetail from our Gets). */
  inventory?: Record<string, string>;
  inventoryAt?: string;
  unenrolledAt?: string;
  /** `generation:userKey:presence` of the last profile plan that found nothing to do (see service/reconcile). */
  planMark?: string;
  /**
   * Who holds this record: `entra:<tenant>/<oid>` (work account), `entra-device:<tenant>/<Entra
   * device id>` (Entra join), `onprem:<username>`. Only that principal, or the holder of the
   * record's active certificate, enrolls it again.
   */
  principal?: string;
  /** A released record (unenrolled, then enrolled afresh by someone) keeps its DeviceID here; `deviceId` is then `released:<id>`. */
  releasedDeviceId?: string;
  /** Revocation waiting for this wipe/retire command to be answered, or for `revokeDeadline`. */
  revokeCommand?: string;
  revokeDeadline?: string;
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
  /** The certificate (written at issue; reads leave it out — nothing on the hot path needs it). */
  derBase64?: string;
  replacesSerial?: string;
}
