// Store interfaces, by concern. Implementations: store/sqlite (embedded default) and
// store/postgres (several replicas); both pass the same behavioural tests (test/store).

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

// ---- management (OMA-DM) ---------------------------------------------------------------------

export type CommandState = 'queued' | 'held' | 'sent' | 'acked' | 'failed' | 'cancelled' | 'expired';
export type CommandOrigin = 'admin' | 'inventory' | 'profile' | 'system';

/** A SyncML command to send, as a template (CmdIDs are assigned per session). */
export interface CommandPayload {
  kind: 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec' | 'Atomic' | 'Sequence';
  items?: {
    target: string;
    format?: string;
    type?: string;
    data?: string;
    dataIsXml?: boolean;
    /** `data` is a secret sealed with the server's secret key (identity/secret-box): opened only to send it. */
    sealed?: boolean;
  }[];
  /** Children of Atomic / Sequence. */
  commands?: CommandPayload[];
}

export interface CommandResult {
  locUri: string;
  format?: string;
  type?: string;
  data?: string;
}

/** What a queued command does for a profile delivery (see ProfileDelivery). */
export interface CommandProfileRef {
  profileId: string;
  version: number;
  /** '' = the device tree (nobody's); else the user key (Entra object ID) of a ./User delivery. */
  userKey: string;
  op: 'apply' | 'remove' | 'verify';
  /** verify: LocURI → digest of the value the node must read back as (protocol/csp/delta readBackDigest). */
  expect?: Record<string, string>;
}

export interface CommandRecord {
  id: string;
  devicePk: string;
  /** Deliver only in a session of this Entra user (user-scoped settings). */
  userOid?: string;
  origin: CommandOrigin;
  /** Named action (reboot, wipe, …) or undefined for raw commands. */
  action?: string;
  payload: CommandPayload;
  state: CommandState;
  heldReason?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  attempts: number;
  maxAttempts: number;
  sentSession?: string;
  sentMsgId?: string;
  sentCmdId?: string;
  sentAt?: string;
  /** SyncML status code of the command (Atomic: the Atomic's own status). */
  status?: string;
  /**
   * Per-child statuses for Atomic/Sequence, per-item statuses of a multi-item command (when the
   * device answered item by item), the nodes an inventory Get found missing, and other details.
   */
  detail?: { children?: { index: number; status: string }[]; items?: { index: number; status: string }[]; missing?: string[]; retriedAs?: string; note?: string };
  ackedAt?: string;
  error?: string;
  results?: CommandResult[];
  /** Profile commands: the delivery (one profile for one device and user) this command belongs to. */
  batch?: string;
  profile?: CommandProfileRef;
}

/** State of an OMA-DM session that must survive between packages (any replica continues it). */
export interface DmSessionState {
  devicePk: string;
  sessionId: string;
  /** Last server MsgID used. */
  msgIdOut: number;
  /** Last server CmdID used (unique within the session). */
  cmdIdOut: number;
  /** "msgId:cmdId" → command (and child index inside Atomic/Sequence). */
  sent: Record<string, { commandId: string; child?: number }>;
  /** Commands chosen for this package but not sent yet (package split by MaxMsgSize). */
  pending: string[];
  auth: 'certificate' | 'digest';
  user?: { oid: string; upn?: string };
  loginStatus?: string;
  /** The device's MaxMsgSize (SyncHdr Meta), remembered for the session. */
  maxMsgSize?: number;
  startedAt: string;
  /** Last message of the session (state idle longer than SESSION_IDLE_MS is expired). */
  lastAt?: string;
  /** Digest sessions: hash of the token in our last RespURI (see service/management/session-token). */
  tokenHash?: string;
}

export interface CommandAck {
  commandId: string;
  state: CommandState;
  status?: string;
  detail?: CommandRecord['detail'];
  results?: CommandResult[];
  error?: string;
  /** 418 on Add: the same command goes back to the queue as a Replace. */
  requeueAs?: CommandPayload;
}

export interface DeviceAlert {
  code: string;
  type?: string;
  format?: string;
  mark?: string;
  source?: string;
  data?: string;
}

export interface TraceEntry {
  sessionId: string;
  msgId: string;
  direction: 'in' | 'out';
  at: string;
  body: string;
  truncated: boolean;
}

/** Everything one request of a session changes, written in one transaction. */
export interface SessionTurn {
  devicePk: string;
  at: string;
  /** Session state to keep, or null when the session is over. */
  session: DmSessionState | null;
  /** No state was stored for this session before (nothing to delete when it ends at once). */
  sessionIsNew?: boolean;
  sessionId: string;
  acks: CommandAck[];
  sent: { commandId: string; msgId: string; cmdId: string }[];
  device?: {
    currentUser?: { oid: string; upn?: string } | null;
    loginStatus?: string;
    inventory?: Record<string, string>;
    inventoryAt?: string;
    /** Next OMA-DM digest nonce (rotated after each successful digest authentication). */
    nonce?: string;
    planMark?: string | null;
  };
  /** Profile delivery rows to write (insert or replace). */
  deliveries?: ProfileDelivery[];
  /** Profile delivery rows to delete. */
  dropDeliveries?: { userKey: string; profileId: string }[];
  login?: { oid: string; upn?: string };
  alerts: DeviceAlert[];
  /** With alerts: keep only the newest this many alerts of the device once they are written. */
  alertsPerDevice?: number;
  /** With a new session stored: keep only the device's this many most recent sessions. */
  sessionsPerDevice?: number;
  traces: TraceEntry[];
  /** Commands to add in the same transaction (inventory refresh). */
  enqueue: CommandRecord[];
  /** A challenge of an unauthenticated message: the device's last-seen time stays as it is. */
  unauthenticated?: boolean;
}

export interface ManagementStore {
  getSession(devicePk: string, sessionId: string): Promise<DmSessionState | undefined>;
  /** Queued commands (and held ones) in delivery order. */
  deliverable(devicePk: string, limit: number): Promise<CommandRecord[]>;
  getCommands(ids: string[]): Promise<CommandRecord[]>;
  /**
   * Commands sent and never answered: back to the queue, or failed after maxAttempts. Those sent
   * in session `currentSessionId` are left alone; null (a package 1 starts a session): all.
   */
  requeueUnanswered(devicePk: string, currentSessionId: string | null, at: string): Promise<number>;
  commitTurn(turn: SessionTurn): Promise<void>;
  /** The device asked to unenroll (or was unenrolled): state, certificates revoked, queue cancelled. */
  unenroll(devicePk: string, at: string, reason: string): Promise<void>;
  setCommandState(ids: string[], state: CommandState, heldReason: string | undefined, at: string): Promise<void>;
  /** Forget session state not touched since `before` (abandoned sessions). */
  pruneSessions(before: string): Promise<number>;
  /** Every command of these profile delivery batches. */
  batchCommands(batches: string[]): Promise<CommandRecord[]>;
}

export interface CommandStore {
  enqueue(c: CommandRecord): Promise<void>;
  get(id: string): Promise<CommandRecord | undefined>;
  listForDevice(devicePk: string, opts: { limit: number; offset: number }): Promise<CommandRecord[]>;
  /** Cancel a command that has not been sent; false if it is not queued or held. */
  cancel(id: string, at: string): Promise<boolean>;
  countQueued(devicePk: string): Promise<number>;
  /** Fleet-wide commands waiting or in flight, by state (queued, held, sent): for metrics. */
  stateCounts(): Promise<Record<string, number>>;
}

export interface TraceStore {
  list(devicePk: string, opts: { limit: number; sessionId?: string }): Promise<(TraceEntry & { id: number })[]>;
  alerts(devicePk: string, limit: number): Promise<(DeviceAlert & { at: string })[]>;
  logins(devicePk: string): Promise<{ oid: string; upn?: string; firstSeen: string; lastSeen: string; sessions: number }[]>;
  /** Retention: keep the newest `keepPerDevice` trace rows per device and nothing older than `before`. */
  prune(before: string, keepPerDevice: number): Promise<number>;
  /** Retention of device alerts, as `prune` for traces. */
  pruneAlerts(before: string, keepPerDevice: number): Promise<number>;
}

// ---- profiles and targeting -------------------------------------------------------------------

export interface ProfileRecord {
  id: string;
  name: string;
  kind: string;
  scope: 'user' | 'device';
  /** Settings as stored: secrets sealed (identity/secret-box). */
  settings: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  /** What the profile's compilation saw of the certificate profiles it refers to (by ref), at this version. */
  context?: Record<string, unknown>;
}

export type AssignmentTarget = 'user' | 'group' | 'device' | 'all';

export interface Assignment {
  profileId: string;
  targetType: AssignmentTarget;
  /** Entra oid or UPN (user), group id, device id, or '*' (all). */
  targetId: string;
  createdAt: string;
}

export interface Group {
  id: string;
  name: string;
  kind: 'user' | 'device';
  createdAt: string;
}

export interface ProfileStore {
  create(p: ProfileRecord, audit: AuditEntry): Promise<void>;
  get(id: string): Promise<ProfileRecord | undefined>;
  list(): Promise<ProfileRecord[]>;
  update(p: ProfileRecord, audit: AuditEntry): Promise<boolean>;
  /** Mark deleted and drop its assignments (removal from devices is the reconciler's work). */
  delete(id: string, at: string, audit: AuditEntry): Promise<boolean>;
  assign(a: Assignment, audit: AuditEntry): Promise<boolean>;
  unassign(profileId: string, targetType: AssignmentTarget, targetId: string, audit: AuditEntry): Promise<boolean>;
  assignments(profileId: string): Promise<Assignment[]>;
  /** Every assignment of every live profile. */
  allAssignments(): Promise<Assignment[]>;
  /** The settings and compile context of one version (deleted profiles included). */
  version(id: string, version: number): Promise<{ settings: Record<string, unknown>; context?: Record<string, unknown> } | undefined>;
  /** Bumped by every change to profiles, assignments, groups or members. */
  generation(): Promise<number>;
}

/** Where one profile stands for one device and user. */
export type DeliveryStatus = 'pending' | 'held' | 'delivered' | 'verified' | 'failed' | 'removing' | 'removed';

/** Why a delivery is held (decides when it is tried again). */
export type DeliveryHold = 'no-user' | 'dependency' | 'refused-no-user' | 'refused-with-user';

export interface ProfileDelivery {
  devicePk: string;
  /** '' = device tree (device-scope profiles, and user-scope ones held while nobody is signed in); else the Entra oid. */
  userKey: string;
  upn?: string;
  profileId: string;
  /** The profile version this row is about (desired when planned). */
  version: number;
  /** The version whose nodes the device acknowledged in full (diff base); undefined = unknown / none. */
  appliedVersion?: number;
  status: DeliveryStatus;
  /** Why held, what failed (SyncML status and LocURI), … */
  detail?: string;
  hold?: DeliveryHold;
  /** The command batch in flight or last sent for this row. */
  batch?: string;
  updatedAt: string;
}

export interface DeliveryStore {
  forDevice(devicePk: string): Promise<ProfileDelivery[]>;
  /** Rows of one profile by status, and how many are at an older version than `currentVersion`. */
  summary(profileId: string, currentVersion: number): Promise<{ counts: Record<string, number>; outdated: number }>;
  list(profileId: string, opts: { status?: string; limit: number; offset: number }): Promise<ProfileDelivery[]>;
  /** Write rows as they are (a removed device's or the bench's seeding). */
  put(rows: ProfileDelivery[]): Promise<void>;
  /** Fleet-wide rows by status: for metrics. */
  statusCounts(): Promise<Record<string, number>>;
}

export interface GroupStore {
  create(g: Group, audit: AuditEntry): Promise<boolean>;
  get(id: string): Promise<Group | undefined>;
  list(): Promise<Group[]>;
  delete(id: string, audit: AuditEntry): Promise<boolean>;
  /** Members added (those not yet in), audited in the same transaction when any was. */
  addMembers(id: string, members: string[], audit?: AuditEntry): Promise<number>;
  removeMember(id: string, member: string, audit?: AuditEntry): Promise<boolean>;
  members(id: string): Promise<string[]>;
  /** Every membership, for the targeting index. */
  allMembers(): Promise<{ groupId: string; member: string }[]>;
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

/** What an enrollment proves about itself besides its principal (`Device.principal`). */
export interface EnrollmentClaim {
  /** Thumbprint of the device certificate the request presented (TLS or trusted proxy), if any. */
  certThumbprint?: string;
  /** Audit actor (the principal); the entry is written in the enrollment's transaction. */
  actor: string;
  detail?: Record<string, unknown>;
}

export interface EnrollmentStore {
  /**
   * A new or repeated enrollment, in one transaction. The DeviceID's enrolled record is enrolled
   * again (keeps our id; previous certificates revoked, profiles delivered anew) only by the same
   * principal or the holder of one of its active certificates, else DeviceHeldError. An
   * unenrolled record is released: kept under `released:<id>`, and the enrollment gets a fresh
   * record that inherits nothing. With a claim, audited (`device.enroll` / `device.reenroll`).
   */
  recordEnrollment(device: Device, cert: IssuedCertificateRecord, claim?: EnrollmentClaim): Promise<Device & { reenrolled: boolean }>;
  /**
   * A renewal, in one transaction: supersede the old certificate if it is still active and its
   * device enrolled, then insert the new one; false (nothing written) if another renewal or a
   * revocation came first. Audited when `actor` is given.
   */
  recordRenewal(devicePk: string, cert: IssuedCertificateRecord, oldSerial: string, at: string, actor?: string): Promise<boolean>;
  /**
   * Revoke now: state unenrolled, active certificates revoked, queue cancelled, sessions dropped,
   * audited. False if the device is not enrolled.
   */
  revoke(devicePk: string, at: string, reason: string, audit: AuditEntry): Promise<boolean>;
  /** Mark a revocation that waits for the (queued) command `commandId` to be answered, or for `deadline`; false if not enrolled. */
  revokeAfter(devicePk: string, commandId: string, deadline: string, at: string, audit: AuditEntry): Promise<boolean>;
  /** Enrolled devices whose pending revocation is due (its command answered, or the deadline passed). */
  revocationsDue(now: string, limit: number): Promise<string[]>;
  /** Enrolled devices of an Entra tenant (ids). */
  devicesOfTenant(tenantId: string): Promise<string[]>;
}

/**
 * TLS session-ticket keys shared by every worker and replica: one random key per rotation
 * period, stored sealed; a period's key is deleted once a newer one exists.
 */
export interface TlsTicketKeyStore {
  /**
   * The key of the newest period, in one transaction: `sealedKey` becomes the key of `period`
   * unless that period or a later one has a key already (the first replica to get there wins,
   * a replica whose clock lags adds nothing); keys of earlier periods are deleted.
   */
  current(period: number, sealedKey: string, at: string): Promise<{ period: number; sealedKey: string }>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  tenants: TenantStore;
  audit: AuditStore;
  enrollmentAccounts: EnrollmentAccountStore;
  devices: DeviceStore;
  certificates: CertificateStore;
  enrollments: EnrollmentStore;
  management: ManagementStore;
  commands: CommandStore;
  traces: TraceStore;
  profiles: ProfileStore;
  groups: GroupStore;
  deliveries: DeliveryStore;
  tlsTicketKeys: TlsTicketKeyStore;
  /** Make write-behind data (session traces, last-seen times) visible to reads now. */
  flush(): Promise<void>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
