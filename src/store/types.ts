// Store interfaces, by concern. Implementations: store/sqlite (embedded default) and
// store/postgres (several replicas); both pass the same behavioural tests (test/store).

import type { AuditEntry } from '../domain/audit.js';
import type { CheckinSchedule, DeviceCheckinState, GroupCheckinSchedule } from '../domain/checkin-schedule.js';
import type { CommandAck, CommandRecord, CommandState } from '../domain/command.js';
import type { Device, IssuedCertificateRecord } from '../domain/device.js';
import type { DeviceFilter, DeviceQuery, DeviceRemoval, FleetCounts, StalePolicy } from '../domain/fleet.js';
import type { Assignment, AssignmentTarget, EntraGroup, EntraGroupMember, Group, ProfileDelivery, ProfileRecord } from '../domain/profile.js';
import type { DeviceAlert, DmSessionState, TraceEntry } from '../domain/session.js';
import type { EnrollmentAccount, Tenant } from '../domain/tenant.js';
import type { PushChannelRecord } from '../domain/push.js';
import type { AdminRecord, AdminSessionRecord, ApiTokenRecord } from '../domain/admin.js';
import type { AppRecord, AppVersion } from '../domain/app.js';
import type { ComplianceAssignment, CompliancePolicy, ComplianceReportRequest, ComplianceState, DeviceCompliance } from '../domain/compliance.js';
import type { EspFleetFigures, EspPolicy, EspRun } from '../domain/esp.js';

// ---- management (OMA-DM) ---------------------------------------------------------------------

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

export interface DeliveryStore {
  forDevice(devicePk: string): Promise<ProfileDelivery[]>;
  /** Rows of one profile by status, and how many are at an older version than `currentVersion`. */
  summary(profileId: string, currentVersion: number): Promise<{ counts: Record<string, number>; outdated: number }>;
  list(profileId: string, opts: { status?: string; limit: number; offset: number }): Promise<ProfileDelivery[]>;
  /** Write rows as they are (a removed device's or the bench's seeding). */
  put(rows: ProfileDelivery[]): Promise<void>;
  /** Fleet-wide rows by status: for metrics. */
  statusCounts(): Promise<Record<string, number>>;
  /** Per profile, its failed and held rows, fleet-wide (only profiles with some): the dashboard's attention list in one query. */
  problemCounts(): Promise<{ profileId: string; failed: number; held: number }[]>;
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

/** What one sync of an Entra group records besides its members. */
export interface EntraGroupSyncRecord {
  at: string;
  displayName?: string;
  kind?: EntraGroup['kind'];
  nested?: boolean;
  /** The round's @odata.deltaLink; null forgets it (the next sync reads the group in full). */
  deltaLink: string | null;
}

/**
 * Entra groups (issue #14) and their synced membership. A membership change never bumps the
 * profile generation: it bumps the membership stamp of each principal that joined or left, in
 * the same transaction, and a device's plan mark carries the stamps of its principals.
 */
export interface EntraGroupStore {
  /** Watch a group (an assignment targets it); false when it is watched already. */
  watch(g: Pick<EntraGroup, 'id' | 'tenantId' | 'createdAt'>): Promise<boolean>;
  get(id: string): Promise<EntraGroup | undefined>;
  /** Watched groups, of one tenant or all, by id. */
  list(tenantId?: string): Promise<EntraGroup[]>;
  /** The membership as read in full (replaces it); stamps of principals that joined or left are bumped. */
  replaceMembers(id: string, members: EntraGroupMember[], r: EntraGroupSyncRecord): Promise<{ added: number; removed: number }>;
  /** A delta round: members added, members removed (by object ID); stamps bumped as for replaceMembers. */
  applyDelta(id: string, added: EntraGroupMember[], removed: string[], r: EntraGroupSyncRecord): Promise<{ added: number; removed: number }>;
  /** A failed sync: the error is kept (and shown) until the next successful one. */
  recordError(id: string, error: string, at: string): Promise<void>;
  /**
   * Stop watching a group that no profile (nor compliance policy) targets any more: its row and
   * members go, and its members' stamps are bumped (a later re-watch starts from a fresh full
   * read, and no plan keeps the memberships it had). False when still targeted or not watched.
   */
  unwatchIfUntargeted(id: string): Promise<boolean>;
  /** The watched groups holding each of these principals (an indexed lookup; absent: none). */
  groupsOf(principals: string[]): Promise<Map<string, string[]>>;
  /** The membership stamp of each principal, in order (0: its groups never changed). */
  stamps(principals: string[]): Promise<number[]>;
}

export interface TenantStore {
  list(): Promise<Tenant[]>;
  get(tenantId: string): Promise<Tenant | undefined>;
  /** Insert with its audit entry in one transaction; false if it already exists. */
  create(t: Tenant, audit: AuditEntry): Promise<boolean>;
  update(t: Tenant, audit: AuditEntry): Promise<boolean>;
  delete(tenantId: string, audit: AuditEntry): Promise<boolean>;
}

/** A page of the audit log, newest first; each filter given narrows it. */
export interface AuditQuery {
  limit: number;
  /** Entries older than this id (the previous page's last). */
  beforeId?: number;
  /** A case-insensitive part of the actor. */
  actor?: string;
  /** An action ("tenant.connect") or the family before its dot ("tenant"). */
  action?: string;
  targetType?: string;
  targetId?: string;
  /** ISO times: at >= from, at < to. */
  from?: string;
  to?: string;
}

export interface AuditStore {
  append(e: AuditEntry): Promise<void>;
  list(q: AuditQuery): Promise<AuditEntry[]>;
}

export interface EnrollmentAccountStore {
  get(username: string): Promise<EnrollmentAccount | undefined>;
  create(a: EnrollmentAccount, audit: AuditEntry): Promise<boolean>;
  delete(username: string, audit: AuditEntry): Promise<boolean>;
  list(): Promise<Omit<EnrollmentAccount, 'passwordHash'>[]>;
  count(): Promise<number>;
}

// ---- compliance (issue #14) -------------------------------------------------------------------

/** How a device is found by assignments: its keys (our id, DeviceID, Entra device id) and its primary user's (oid, UPN; lower case). */
export interface ComplianceTargetKeys {
  device: string[];
  user: string[];
}

export interface ComplianceStore {
  createPolicy(p: CompliancePolicy, audit: AuditEntry): Promise<void>;
  getPolicy(id: string): Promise<CompliancePolicy | undefined>;
  listPolicies(): Promise<CompliancePolicy[]>;
  /** False when the policy does not exist. */
  updatePolicy(p: CompliancePolicy, audit: AuditEntry): Promise<boolean>;
  /** The policy and its assignments. */
  deletePolicy(id: string, audit: AuditEntry): Promise<boolean>;
  /** False when the assignment exists already. */
  assign(a: ComplianceAssignment, audit: AuditEntry): Promise<boolean>;
  unassign(policyId: string, targetType: string, targetId: string, audit: AuditEntry): Promise<boolean>;
  assignments(policyId: string): Promise<ComplianceAssignment[]>;
  /** Ids of the policies assigned to a device: to all, to one of its keys, to a local group holding one of them. */
  policiesFor(keys: ComplianceTargetKeys): Promise<string[]>;
  /** Bumped by every change to policies and assignments, in the same transaction. */
  generation(): Promise<number>;
  get(devicePk: string): Promise<DeviceCompliance | undefined>;
  /** The device's state; with a report, the outbox row (state pending, next_at = created_at) in the same transaction. */
  record(state: DeviceCompliance, report?: ComplianceReportRequest): Promise<void>;
  /** Devices by state (evaluated ones only). */
  counts(): Promise<Partial<Record<ComplianceState, number>>>;
}

export interface DeviceStore {
  get(id: string): Promise<Device | undefined>;
  getByDeviceId(deviceId: string): Promise<Device | undefined>;
  list(opts: { limit: number; offset: number }): Promise<Device[]>;
  count(): Promise<number>;
  /** One page of the device list in the order asked, after its cursor, with each row's sort value (store/device-query.ts). */
  page(q: DeviceQuery): Promise<{ device: Device; key: string }[]>;
  /** How many devices match; with `upTo`, counting stops there (the answer is at most `upTo`). */
  countMatching(f: DeviceFilter, upTo?: number): Promise<number>;
  /** The fleet summary's counts of live (not released) records; instants are the bucket bounds. */
  fleetCounts(at: { today: string; week: string; month: string; staleBefore: string }): Promise<FleetCounts>;
  /** Delete the record and every row keyed to it (active certificates revoked first), audited in the same transaction; undefined if unknown. */
  remove(devicePk: string, at: string, audit: AuditEntry): Promise<DeviceRemoval | undefined>;
  /** The stale-device policy (settings key 'stale-devices'), if the admin set one. */
  stalePolicy(): Promise<StalePolicy | undefined>;
  setStalePolicy(p: StalePolicy, audit: AuditEntry): Promise<void>;
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

/** WNS push state per device (service/push). */
export interface PushStore {
  get(devicePk: string): Promise<PushChannelRecord | undefined>;
  /** Insert or replace the device's row. */
  put(r: PushChannelRecord): Promise<void>;
  /** The WNS settings an admin stored (settings key 'push': JSON, the client secret sealed), if any. */
  settings(): Promise<{ value: string; updatedAt: string } | undefined>;
  /** Store (value) or remove (undefined) them, audited in the same transaction; false when removing settings that were not there. */
  setSettings(value: string | undefined, at: string, audit: AuditEntry): Promise<boolean>;
}

/**
 * Branding and help contacts (issue #16; service/branding.ts), kept in the settings table: the
 * admin's values under 'branding' (JSON), and per device what it holds and what is on its way
 * under 'branding:device:<device pk>' (JSON).
 */
export interface BrandingStore {
  get(): Promise<{ value: string; updatedAt: string } | undefined>;
  /** Store them, audited and with the profile generation bumped in the same transaction (sessions look again). */
  set(value: string, at: string, audit: AuditEntry): Promise<void>;
  deviceState(devicePk: string): Promise<string | undefined>;
  putDeviceState(devicePk: string, value: string, at: string): Promise<void>;
}

/**
 * The certificate renewal settings devices were given (rule 60; service/management/renewal-settings.ts),
 * kept in the settings table: the server's current ones and since when under 'renewal-settings'
 * (JSON), per device what it acknowledged and what is on its way under
 * 'renewal-settings:device:<device pk>' (JSON).
 */
export interface RenewalSettingsStore {
  current(): Promise<string | undefined>;
  setCurrent(value: string, at: string): Promise<void>;
  deviceState(devicePk: string): Promise<string | undefined>;
  putDeviceState(devicePk: string, value: string, at: string): Promise<void>;
}

// ---- check-in schedule (DMClient Poll) --------------------------------------------------------

/** Every write also bumps the profile generation (ProfileStore.generation) in its transaction: sessions check their device's schedule again only when it moved. */
export interface CheckinScheduleStore {
  /** The global schedule, if the admin set one, and when. */
  global(): Promise<{ schedule: CheckinSchedule; updatedAt: string } | undefined>;
  /** Set the global schedule, audited in the same transaction (never removed: its time tells what later enrollments got). */
  setGlobal(s: CheckinSchedule, at: string, audit: AuditEntry): Promise<void>;
  /** Every group's own schedule. */
  groups(): Promise<GroupCheckinSchedule[]>;
  /** Set a group's schedule, audited in the same transaction; false if the group is gone. */
  setGroup(groupId: string, s: CheckinSchedule, at: string, audit: AuditEntry): Promise<boolean>;
  /** Drop a group's schedule, audited in the same transaction; false if it had none. */
  deleteGroup(groupId: string, audit: AuditEntry): Promise<boolean>;
  /** In one read: the global schedule and those of the device groups holding any of `members` (a device's ids). */
  forDevice(members: string[]): Promise<{ global?: { schedule: CheckinSchedule; updatedAt: string }; groups: GroupCheckinSchedule[] }>;
  deviceState(devicePk: string): Promise<DeviceCheckinState | undefined>;
  putDeviceState(s: DeviceCheckinState, at: string): Promise<void>;
}

// ---- administrators (issue #13) ---------------------------------------------------------------

/** What an administrator change came to: 'last-owner' when it would leave no enabled owner. */
export type AdminChange = 'ok' | 'not-found' | 'last-owner' | 'conflict';

export interface AdminStore {
  /** Administrators, disabled ones included. */
  count(): Promise<number>;
  list(): Promise<AdminRecord[]>;
  get(id: string): Promise<AdminRecord | undefined>;
  /** Case-insensitive. */
  getByUsername(username: string): Promise<AdminRecord | undefined>;
  getByExternal(issuer: string, subject: string): Promise<AdminRecord | undefined>;
  /** Insert, audited in the same transaction; 'conflict' if the user name (any case) or the external identity is taken. */
  create(a: AdminRecord, audit: AuditEntry): Promise<AdminChange>;
  /**
   * The first owner, in one transaction: consumes the setup code whose hash is `codeHash` if it is
   * unexpired at `at`, and inserts `a` only while there is no administrator; false (nothing
   * written) otherwise.
   */
  createFirst(a: AdminRecord, codeHash: string, at: string, audit: AuditEntry): Promise<boolean>;
  /**
   * Replace the record (audited when `audit` is given). 'last-owner' (nothing written) when it
   * would leave no enabled owner; 'conflict' when the stored record is no longer `expected` (the
   * read the change was made from: someone changed it meanwhile). Disabling an administrator or
   * changing its password ends its sessions.
   */
  update(a: AdminRecord, audit?: AuditEntry, expected?: AdminRecord): Promise<AdminChange>;
  /** Only the last sign-in time (a sign-in must not write back a record an owner changed meanwhile). */
  recordSignIn(id: string, at: string): Promise<void>;
  /** Delete the administrator, its sessions and tokens, audited; 'last-owner' as for update. */
  remove(id: string, audit: AuditEntry): Promise<AdminChange>;
  /** Replace the one-time setup code (a new start replaces the previous one). */
  putSetupCode(codeHash: string, createdAt: string, expiresAt: string): Promise<void>;
  setupCode(): Promise<{ codeHash: string; expiresAt: string } | undefined>;
  createSession(s: AdminSessionRecord): Promise<void>;
  session(tokenHash: string): Promise<AdminSessionRecord | undefined>;
  touchSession(tokenHash: string, at: string): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Sessions past their absolute end (`expiresAt` < now) or idle since before `idleBefore`. */
  pruneSessions(now: string, idleBefore: string): Promise<number>;
  createToken(t: ApiTokenRecord, audit: AuditEntry): Promise<void>;
  token(id: string): Promise<ApiTokenRecord | undefined>;
  tokenByPrefix(prefix: string): Promise<ApiTokenRecord | undefined>;
  /** One administrator's tokens, or everyone's; newest first. */
  tokens(adminId?: string): Promise<ApiTokenRecord[]>;
  /** Mark revoked, audited; false if unknown or revoked already. */
  revokeToken(id: string, at: string, audit: AuditEntry): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;
}

// ---- compliance reports to Entra (issue #14) --------------------------------------------------

export type ComplianceReportState = 'pending' | 'sent' | 'superseded' | 'refused' | 'failed';

/** One row of the outbox of compliance reports to Entra (table compliance_outbox, migrations 18 and 22). */
export interface ComplianceReport {
  id: number;
  devicePk: string;
  tenantId: string;
  entraDeviceId: string;
  isCompliant: boolean;
  isManaged: boolean;
  createdAt: string;
  /** Claims so far (each claim is one try). */
  attempts: number;
  nextAt: string;
  state: ComplianceReportState;
  lastError?: string;
  sentAt?: string;
}

/**
 * The outbox's side of the compliance reports (service/compliance/outbox.ts sends them). Rows are
 * added by the compliance evaluation in its own transaction; per device only the newest pending
 * row is ever sent, and never one older than a row already sent.
 */
export interface ComplianceOutboxStore {
  /** Add a pending report due at `at` (the evaluation writes its rows itself; tests and tools use this). */
  enqueue(r: Pick<ComplianceReport, 'devicePk' | 'tenantId' | 'entraDeviceId' | 'isCompliant' | 'isManaged'>, at: string): Promise<number>;
  /**
   * Up to `limit` reports due at `now`, claimed in one transaction (one claimer at a time, also across
   * replicas): pending rows with a newer row of their device are marked superseded (unless claimed
   * and under way), then each device's newest pending row is claimed — attempts + 1, leased until
   * `leaseUntil` — unless a row of that device is under an unexpired lease.
   */
  claim(now: string, leaseUntil: string, limit: number): Promise<ComplianceReport[]>;
  /** Graph took it: state sent, and the tenant's reporting status ok. False if the row was no longer pending. */
  sent(id: number, at: string): Promise<boolean>;
  /** A failure worth another try: pending again, due at `nextAt`, lease released. */
  retry(id: number, nextAt: string, error: string): Promise<void>;
  /** Microsoft Graph refused (not an approved MDM app, device not in Entra): state refused, and the tenant's reporting status says why. */
  refused(id: number, error: string, at: string): Promise<void>;
  /** Not worth another try (tenant gone, request Graph rejects as malformed). */
  failed(id: number, error: string, at: string): Promise<void>;
  /** The device's newest report, whatever its state. */
  latestFor(devicePk: string): Promise<ComplianceReport | undefined>;
  /** The earliest `next_at` of the pending rows, if any (the worker's next wake-up). */
  nextDue(): Promise<string | undefined>;
}

// ---- apps and their content -------------------------------------------------------------------

export interface AppStore {
  create(app: AppRecord): Promise<void>;
  get(id: string): Promise<AppRecord | undefined>;
  /** Live apps (not deleted), by name. */
  list(): Promise<AppRecord[]>;
  /** The live app with this kind and identity (an upload of a known package adds a version to it). */
  byIdentity(kind: AppRecord['kind'], identity: string): Promise<AppRecord | undefined>;
  update(id: string, patch: Partial<Pick<AppRecord, 'name' | 'publisher' | 'description' | 'liveVersionId' | 'updatedAt' | 'deletedAt'>>): Promise<void>;
  addVersion(v: AppVersion): Promise<void>;
  /** Versions of an app, newest first. */
  versions(appId: string): Promise<AppVersion[]>;
  version(id: string): Promise<AppVersion | undefined>;
  deleteVersion(id: string): Promise<void>;
  /** Content hashes some version still refers to (what content garbage collection keeps). */
  referencedContent(): Promise<Set<string>>;
}

export interface ContentInfo {
  sha256: string;
  size: number;
  createdAt: string;
}

/** A byte range, both ends included (as in HTTP Range). */
export interface ContentRange {
  start: number;
  end: number;
}

/**
 * Packages by SHA-256 (lower-case hex), streamed in and out: never a whole package in memory.
 * SQLite: files under the data directory; PostgreSQL: chunks in the database, so every replica
 * serves every package.
 */
export interface ContentStore {
  /**
   * Streams `body` in, hashing as it goes. More than `limit` bytes: ContentTooLargeError and
   * nothing kept; `expectSha256` given and different: ContentHashMismatchError and nothing kept.
   * A blob already stored is kept once.
   */
  put(body: AsyncIterable<Uint8Array>, o: { limit: number; expectSha256?: string }): Promise<ContentInfo>;
  stat(sha256: string): Promise<ContentInfo | undefined>;
  /**
   * The bytes (or a range of them) as a stream. `signal`: the reader went away (a read waiting for
   * its turn leaves the line at once, with the signal's reason).
   */
  read(sha256: string, range?: ContentRange, o?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** Random access for package readers: `length` bytes at `offset` (fewer at the end). */
  readAt(sha256: string, offset: number, length: number): Promise<Buffer>;
  delete(sha256: string): Promise<void>;
  /**
   * Garbage collection without a race against a reference being added: the blob is hidden first
   * (stat and reads find nothing, a put stores it anew), then `keep` is asked, then the blob is
   * removed (false) or put back (true). A reference added concurrently is either seen by `keep`,
   * or its maker, checking with stat after adding it, finds the blob gone. Resolves to whether
   * the blob was removed (false also when there was none).
   */
  deleteUnless(sha256: string, keep: () => Promise<boolean>): Promise<boolean>;
}

/** Where an installed app was read from: the MSI product list or the packaged-app inventory. */
export type DeviceAppSource = 'msi' | 'msix';

/** An app installed on a device, as the device last reported it (issue #15). */
export interface DeviceApp {
  /** '' = the device tree (./Device); else the user key (Entra object ID, lower case) of a ./User read. */
  userKey: string;
  source: DeviceAppSource;
  /** ProductCode (MSI, `{GUID}` upper case) or PackageFullName (MSIX). */
  appKey: string;
  name?: string;
  version?: string;
  publisher?: string;
  /** The read that last listed it. */
  seenAt: string;
}

/** One read of one tree and source: when, and why it gave nothing if it failed (the list kept then is the previous one). */
export interface DeviceAppRead {
  userKey: string;
  source: DeviceAppSource;
  readAt: string;
  error?: string;
}

/** What is installed per device and tree, as read back (service/management/app-inventory.ts). */
export interface DeviceAppStore {
  /** The list of (device, user, source) becomes `apps` (seen at `at`), and the read is recorded, in one transaction. */
  replace(devicePk: string, userKey: string, source: DeviceAppSource, apps: Omit<DeviceApp, 'userKey' | 'source' | 'seenAt'>[], at: string): Promise<void>;
  /** Name, version and publisher of apps already listed (MSI details arrive after the list); unknown keys are ignored. */
  details(devicePk: string, userKey: string, source: DeviceAppSource, apps: Omit<DeviceApp, 'userKey' | 'source' | 'seenAt'>[]): Promise<void>;
  /** A read that failed: recorded, the list left as it was. */
  failed(devicePk: string, userKey: string, source: DeviceAppSource, error: string, at: string): Promise<void>;
  /** Every app of the device (user '', then by user, source, name) and every read. */
  list(devicePk: string): Promise<{ apps: DeviceApp[]; reads: DeviceAppRead[] }>;
  /** The reads of one tree (both sources). */
  reads(devicePk: string, userKey: string): Promise<DeviceAppRead[]>;
}

/** Enrollment Status Page policies and the day-zero runs of each enrollment (issue #16, service/esp). */
export interface EspStore {
  listPolicies(): Promise<EspPolicy[]>;
  getPolicy(id: string): Promise<EspPolicy | undefined>;
  createPolicy(p: EspPolicy): Promise<void>;
  /** False when it does not exist. */
  updatePolicy(p: EspPolicy): Promise<boolean>;
  deletePolicy(id: string): Promise<boolean>;
  /** The runs of a device (device phase first, then by user key). One indexed read. */
  runs(devicePk: string): Promise<EspRun[]>;
  /**
   * Inserts the run unless the device already has one for that phase (false then: another session
   * started it); one started before `replaceBefore` (an earlier enrollment of the device) is replaced.
   */
  startRun(run: EspRun, replaceBefore?: string): Promise<boolean>;
  /** Its items, finish time and outcome. */
  saveRun(run: EspRun): Promise<void>;
  /** Some run has not ended and its deadline is after `now` (uses the partial index). */
  anyOpen(now: string): Promise<boolean>;
  /** Every run, optionally only those started since `since`. */
  allRuns(since?: string): Promise<EspRun[]>;
  /**
   * What the fleet's day-zero figures of one phase (or both) are made of, over the runs started
   * since `since` (all when absent), with the durations at each of `quantiles`: one consistent
   * read of migration 31's partial indexes, the done runs counted in SQL.
   */
  figures(q: { phase: EspFleetFigures['phase']; since?: string }, quantiles: number[]): Promise<EspFigureParts>;
}

/** The store's part of the fleet's day-zero figures (service/esp/timeline.ts makes them from it). */
export interface EspFigureParts {
  /** The runs that ended 'done', counted by their last item (with a name it had then; no profileId: runs without items). */
  done: { profileId?: string; name?: string; runs: number }[];
  /** Milliseconds from start to finish of the runs that ended 'done', at each quantile asked (nearest rank); undefined when none. */
  durationsMs: (number | undefined)[];
  /** Every other run (under way, failed, timed out or past its deadline) with its items not done. */
  rest: Pick<EspRun, 'outcome' | 'deadline' | 'items'>[];
}

/** One-time ids of the federated sign-in page's tokens an RST consumed (issue #17, rule 14). */
export interface EnrollmentTokensUsedStore {
  /** Records `jti` as used until `expiresAt` (ISO 8601); false when it was used already. Deletes rows expired before `now`. */
  consume(jti: string, expiresAt: string, now: string): Promise<boolean>;
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
  entraGroups: EntraGroupStore;
  deliveries: DeliveryStore;
  tlsTicketKeys: TlsTicketKeyStore;
  checkinSchedules: CheckinScheduleStore;
  push: PushStore;
  admins: AdminStore;
  compliance: ComplianceStore;
  complianceOutbox: ComplianceOutboxStore;
  apps: AppStore;
  content: ContentStore;
  deviceApps: DeviceAppStore;
  esp: EspStore;
  branding: BrandingStore;
  renewalSettings: RenewalSettingsStore;
  enrollmentTokensUsed: EnrollmentTokensUsedStore;
  /** Make write-behind data (session traces, last-seen times) visible to reads now. */
  flush(): Promise<void>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
