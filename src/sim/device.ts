// A simulated Windows device: enrolls through Discovery → Policy → Enrollment (MS-MDE2,
// MS-XCEP, MS-WSTEP) with an Entra token or on-premises credentials, keeps what the
// provisioning document gives it, and then holds OMA-DM sessions with its DM tree
// (dm-tree.ts) through the OMA-DM client (dm-client.ts), over mutual TLS with its certificate
// or with OMA-DM digest credentials.
//
//   const dev = new SimDevice({ url: 'https://enterpriseenrollment.contoso.com', ca, credential: { kind: 'entra', token } });
//   await dev.enroll();
//   const t = await dev.checkin();                 // nobody signed in (Device) / the enrolled user (Full)
//   dev.signIn({ token: userToken });              // an Entra user signs in
//   await dev.checkin();
//   await dev.unenroll();
import crypto from 'node:crypto';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { buildCsr } from '../pki/csr-build.js';
import { SimApps } from './apps/apps.js';
import type { AppFaults } from './apps/faults.js';
import { runDmSession, type DigestCredentials, type DmTranscript, type GenericAlert, type LoginStatus } from './dm-client.js';
import { DmTree, addProvider, defaultInventory, setDeviceHealth, windowsTree, type DeviceHealth, type DeviceInventory } from './dm-tree.js';
import { discoverMessage, getPoliciesMessage, rstMessage, type Credential } from './enroll-messages.js';
import { SimEsp } from './esp.js';
import { readDiscoverResponse, readFault, readRstrProvisioning, type Provisioning, type SoapFaultInfo } from './enroll-responses.js';
import { httpsRequest, type HttpsOptions, type HttpsResponse } from './https-client.js';
import { type FederatedSignInMethod, FederatedSignInError, federatedSignIn } from './federated-sign-in.js';

const FEDERATED_VALUE_TYPE = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';

export const ENROLLMENT_PATHS = {
  discovery: '/EnrollmentServer/Discovery.svc',
  policy: '/EnrollmentServer/Policy.svc',
  enrollment: '/EnrollmentServer/Enrollment.svc',
} as const;

const SOAP_TYPE = 'application/soap+xml; charset=utf-8';

export type SimCredential =
  | {
      kind: 'entra';
      /** A token, or a function minting one (called once per enrollment). */
      token: string | (() => string | Promise<string>);
    }
  | { kind: 'password'; username: string; password: string }
  /** "Enroll only in device management" through the server's federated sign-in page (sim/federated-sign-in.ts). */
  | { kind: 'federated'; method: FederatedSignInMethod; upn?: string; appru?: string };

export interface SimDeviceOptions {
  /** Public base URL of the server, e.g. https://enterpriseenrollment.contoso.com */
  url: string;
  /** Connect here instead of the URL's host (SNI and Host still name the URL's host). */
  connectTo?: { host: string; port: number };
  /** Trust anchors (PEM) for the server certificate; default: Node's trust store. */
  ca?: string | string[];
  credential: SimCredential;
  /** Device (Entra join, device certificate) or Full (work account / on-premises user). Default: Device for Entra, Full for a password. */
  enrollmentType?: 'Device' | 'Full';
  /** Management authentication: TLS client certificate (default) or OMA-DM digest. */
  auth?: 'certificate' | 'digest';
  /** SyncHdr Meta MaxMsgSize the device announces. */
  maxMsgSize?: number;
  /** See DmClientOptions.splitResultsOver. */
  splitResultsOver?: number;
  /** ./DevInfo/DevId; default 32 random hex digits, as Windows. */
  deviceId?: string;
  /** Discovery e-mail address; default the token's UPN or username@<server domain>. */
  email?: string;
  inventory?: Partial<DeviceInventory>;
  /** Follow a server Exec of DMClient/Provider/{id}/Unenroll with the unenrollment session (as Windows does). Default true. */
  followUnenroll?: boolean;
  /** A key pair to use instead of generating an RSA-2048 one. */
  keyPair?: { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject };
  timeoutMs?: number;
  /** Open a new TLS connection for every message (each may land on another server replica). */
  connectionPerMessage?: boolean;
  /**
   * Resume the TLS session of the previous management connection (as Windows' SChannel does
   * with its session cache) while the client certificate is the same. Default true.
   */
  tlsResumption?: boolean;
  /** Where app packages are downloaded to (default: a directory of the system's temporary directory). */
  appDir?: string;
  /**
   * When app install jobs (MSI DownloadInstall, MSIX HostedInstall) run: after each session
   * (default), as Windows runs them outside the OMA-DM session, or only when `runAppJobs()` is called.
   */
  appJobs?: 'after-session' | 'manual';
  /** Failures the app CSPs produce (see src/sim/apps/faults.ts); also settable later on `apps.faults`. */
  appFaults?: AppFaults;
  /** The device's clock (DevDetail LocalTime, the Enrollment Status Page's time-out); default the real one. */
  now?: () => Date;
}

/** A failure of one enrollment step, with the server's fault when there was one. */
export class SimError extends Error {
  readonly step: 'discovery' | 'policy' | 'enrollment' | 'management';
  readonly httpStatus?: number;
  readonly fault?: SoapFaultInfo;
  constructor(step: 'discovery' | 'policy' | 'enrollment' | 'management', message: string, httpStatus?: number, fault?: SoapFaultInfo) {
    super(`${step}: ${message}`);
    this.step = step;
    this.httpStatus = httpStatus;
    this.fault = fault;
  }
}

export interface Enrollment {
  enrollmentType: 'Device' | 'Full';
  authPolicy: string;
  providerId: string;
  /** ADDR: the OMA-DM URL. */
  managementUrl: string;
  certificatePem: string;
  certificateThumbprint: string;
  certificateSubject: string;
  rootPem?: string;
  entDmId?: string;
  upn?: string;
  aadDeviceId?: string;
  /** APPSRV credentials (device → server), nonce updated after each digest session. */
  digest?: DigestCredentials;
  /** CLIENT credentials (server → device). */
  serverAuth?: { name: string; secret: string; nonce: string };
  dmClient: Record<string, string>;
  poll: Record<string, string>;
  provisioning: Provisioning;
  /** Wall time of the three enrollment steps, ms. */
  timings: { discovery: number; policy: number; enrollment: number };
}

export interface CheckinOptions {
  /**
   * Who is signed in from now on: an Entra user (token), null = nobody. Undefined keeps the
   * current user (see signIn/signOut).
   */
  user?: { token: string } | null;
  /** Alert 1224 LoginStatus; default from the signed-in user (`user` or `none`, `others`). */
  loginStatus?: LoginStatus;
  /** ?mode= on the URL; default Maintenance with a user, Machine without. null = none. */
  mode?: 'Maintenance' | 'Machine' | null;
  /** Alert 1201 (default) or 1200 (after a push). */
  initiator?: '1201' | '1200';
  genericAlerts?: GenericAlert[];
}

export interface CheckinResult extends DmTranscript {
  /** This session's server Execs (also in transcript.commands). */
  execs: { target: string; data?: string }[];
  /** The unenrollment session that followed a server Unenroll, when there was one. */
  unenrollSession?: DmTranscript;
}

type SignedIn = { kind: 'entra'; token: string; key: string } | { kind: 'other' } | null;

/** Claims of a JWT, unverified (the device only reads its own token). */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1];
    const v = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

function userUpnOf(token: string): string | undefined {
  const c = jwtClaims(token);
  return str(c.upn) ?? str(c.preferred_username) ?? str(c.unique_name);
}

/** How the device names a user: the token's oid (else its UPN, else a digest of the token). */
function userKeyOf(token: string): string {
  const c = jwtClaims(token);
  return str(c.oid) ?? str(c.upn) ?? str(c.preferred_username) ?? crypto.createHash('sha256').update(token).digest('hex').slice(0, 16);
}

export class SimDevice {
  readonly deviceId: string;
  readonly hwDevId: string;
  readonly tree: DmTree;
  readonly inventory: DeviceInventory;
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
  enrollment?: Enrollment;
  /** 'unenrolled' after unenroll(); 'wiped' after a server RemoteWipe. */
  state: 'new' | 'enrolled' | 'unenrolled' = 'new';
  wiped = false;
  /** Sessions held so far (the SessionID counter). */
  sessions = 0;
  private signedInUsers: Exclude<SignedIn, null>[] = [];
  /** The WNS channel URI this device reports (Push/ChannelURI) once the server set a PFN; none without a push listener. */
  pushChannel?: string;
  private readonly o: SimDeviceOptions;
  /** Management requests, and how many of them ran on a resumed TLS session. */
  readonly tlsStats = { requests: 0, resumed: 0 };
  /** The last management TLS session, and the client certificate it was made with. */
  private tlsSession?: { cert: string; session: Buffer };
  /** The app CSPs (EnterpriseDesktopAppManagement, EnterpriseModernAppManagement) and their install jobs. */
  readonly apps: SimApps;
  /** Where app packages are downloaded to. */
  appDir: string;
  /** The Enrollment Status Page (DMClient FirstSyncStatus): the device phase and each user's first sign-in. */
  readonly esp: SimEsp;

  /** Like the constructor, but generates the RSA key off the event loop (for fleets). */
  static async create(o: SimDeviceOptions): Promise<SimDevice> {
    if (o.keyPair) return new SimDevice(o);
    const keyPair = await new Promise<{ privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }>((resolve, reject) =>
      crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))),
    );
    return new SimDevice({ ...o, keyPair });
  }

  constructor(o: SimDeviceOptions) {
    this.o = o;
    const keys = o.keyPair ?? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.deviceId = o.deviceId ?? crypto.randomBytes(16).toString('hex').toUpperCase();
    this.hwDevId = crypto.createHash('sha256').update(`hw:${this.deviceId}`).digest('hex').toUpperCase();
    this.inventory = defaultInventory(this.deviceId, o.inventory);
    this.tree = windowsTree(this.inventory, o.now ? { now: o.now } : {});
    this.appDir = o.appDir ?? path.join(os.tmpdir(), `fenestra-sim-apps-${this.deviceId}`);
    this.apps = new SimApps({
      tree: this.tree,
      dir: () => this.appDir,
      http: () => ({
        ca: this.o.ca,
        connectTo: this.o.connectTo,
        managementHost: new URL(this.enrollment?.managementUrl ?? this.o.url).host,
        timeoutMs: this.o.timeoutMs,
      }),
    });
    if (o.appFaults) this.apps.faults = { ...o.appFaults };
    this.esp = new SimEsp({ tree: this.tree, now: o.now ?? (() => new Date()), providerId: () => this.enrollment?.providerId, session: () => this.sessions });
  }

  /**
   * Run the pending app install jobs now (downloads, hash checks, installs), as far as each goes:
   * to its end or to its next retry. ./User jobs run while their user is signed in.
   */
  async runAppJobs(): Promise<void> {
    const keys = this.signedInUsers.flatMap((u) => (u.kind === 'entra' ? [u.key] : []));
    if (this.enrollment?.enrollmentType === 'Full') keys.push(`enrolled:${this.enrollment.upn ?? 'user'}`);
    await this.apps.run(keys);
    this.esp.evaluate();
  }

  get enrollmentType(): 'Device' | 'Full' {
    return this.o.enrollmentType ?? (this.o.credential.kind === 'entra' ? 'Device' : 'Full');
  }

  // ---- users --------------------------------------------------------------------------------------

  /**
   * An Entra user signs in: later sessions send LoginStatus user, AADUserToken and the Bearer
   * header. Several users may be signed in at once (fast user switching): the last one signed in
   * is the one at the console, whose ./User tree the sessions address.
   */
  signIn(user: { token: string }): void {
    const key = userKeyOf(user.token);
    this.signedInUsers = this.signedInUsers.filter((u) => u.kind !== 'entra' || u.key !== key);
    this.signedInUsers.push({ kind: 'entra', token: user.token, key });
    // A user's first sign-in on the joined device opens their Enrollment Status Page.
    if (this.state === 'enrolled' && this.enrollmentType === 'Device') this.esp.userSignedIn(key);
  }

  /** A local user without an MDM/Entra account signs in (LoginStatus `others`). */
  signInOther(): void {
    this.signedInUsers.push({ kind: 'other' });
  }

  /**
   * The user `key` (oid or UPN, see userKeyOf) signs out; without a key, the user at the console.
   * The user signed in before them, if still signed in, is at the console again. False when
   * nobody matched.
   */
  signOut(key?: string): boolean {
    if (key === undefined) return this.signedInUsers.pop() !== undefined;
    const k = key.toLowerCase();
    const before = this.signedInUsers.length;
    this.signedInUsers = this.signedInUsers.filter((u) => u.kind !== 'entra' || (u.key.toLowerCase() !== k && userUpnOf(u.token)?.toLowerCase() !== k));
    return this.signedInUsers.length < before;
  }

  /** Everybody signs out. */
  signOutAll(): void {
    this.signedInUsers = [];
  }

  private get signedIn(): SignedIn {
    return this.signedInUsers.at(-1) ?? null;
  }

  get currentUser(): { token: string; key: string } | { other: true } | null {
    const s = this.signedIn;
    if (!s) return null;
    return s.kind === 'entra' ? { token: s.token, key: s.key } : { other: true };
  }

  /** The signed-in users, in sign-in order (the last one is at the console). */
  get users(): ({ token: string; key: string; upn?: string } | { other: true })[] {
    return this.signedInUsers.map((u) => (u.kind === 'entra' ? { token: u.token, key: u.key, upn: userUpnOf(u.token) } : { other: true }));
  }

  // ---- health (compliance) ---------------------------------------------------------------------

  /** Change what DeviceStatus reports (firewall off, BitLocker suspended…); undefined removes a node (Get → 404). */
  setHealth(h: Partial<DeviceHealth>): void {
    setDeviceHealth(this.tree, h);
  }

  // ---- push ---------------------------------------------------------------------------------------

  /**
   * DMClient Provider/<id>/Push: PFN (empty until the server sets it; Add or Replace), and the
   * Get-only ChannelURI and Status, computed from `pushChannel` at each Get: the channel once a
   * PFN is set (null before, as the CSP says), Status 0 then, else 1 (no valid PFN) or 4 (no
   * channel: no push listener in this run). Called at enrollment and when restored.
   */
  registerPush(): void {
    const e = this.enrollment;
    if (!e) return;
    const push = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(e.providerId)}/Push`;
    if (!this.tree.has(`${push}/PFN`)) this.tree.set(`${push}/PFN`, { value: '', addReplaces: true });
    const pfn = () => this.tree.read(`${push}/PFN`)?.data ?? '';
    this.tree.set(`${push}/ChannelURI`, { value: '', readOnly: true });
    this.tree.setComputed(`${push}/ChannelURI`, () => (pfn() && this.pushChannel ? this.pushChannel : ''));
    this.tree.set(`${push}/Status`, { format: 'int', value: '', readOnly: true });
    this.tree.setComputed(`${push}/Status`, () => (!pfn() ? '1' : this.pushChannel ? '0' : '4'));
  }

  // ---- enrollment ---------------------------------------------------------------------------------

  async enroll(): Promise<Enrollment> {
    const base = this.o.url.replace(/\/+$/, '');
    const type = this.enrollmentType;
    const cred = this.o.credential;
    let wire: Credential;
    let claims: Record<string, unknown> = {};
    if (cred.kind === 'entra') {
      const jwt = typeof cred.token === 'function' ? await cred.token() : cred.token;
      wire = { kind: 'entra', jwt };
      claims = jwtClaims(jwt);
    } else if (cred.kind === 'password') {
      wire = { kind: 'password', username: cred.username, password: cred.password };
    } else {
      wire = { kind: 'none' }; // the sign-in page's token, after discovery
    }
    const host = new URL(base).hostname;
    const domain = host.replace(/^enterpriseenrollment\./i, '');
    const upn =
      str(claims.upn) ??
      str(claims.preferred_username) ??
      str(claims.unique_name) ??
      (cred.kind === 'password' ? cred.username : cred.kind === 'federated' ? cred.upn : undefined);
    const email = this.o.email ?? (upn?.includes('@') ? upn : `${upn ?? 'user'}@${domain}`);

    // 1. Discovery: GET probe, then Discover.
    let t0 = performance.now();
    const discoveryUrl = base + ENROLLMENT_PATHS.discovery;
    const probe = await this.http('discovery', discoveryUrl, { method: 'GET' });
    if (probe.status !== 200) throw new SimError('discovery', `GET probe answered HTTP ${probe.status}`, probe.status);
    const authPolicies = cred.kind === 'password' ? ['OnPremise'] : ['Federated'];
    const d = await this.soap('discovery', discoveryUrl, discoverMessage(discoveryUrl, { email, requestVersion: '5.0', authPolicies }));
    const disc = readDiscoverResponse(d.text());
    if (cred.kind === 'password' && disc.authPolicy !== 'OnPremise') {
      throw new SimError('discovery', `the server offers ${disc.authPolicy || 'no'} authentication, not OnPremise`);
    }
    if (cred.kind === 'federated') {
      if (disc.authPolicy !== 'Federated' || !disc.authenticationUrl)
        throw new SimError('discovery', `the server offers ${disc.authPolicy || 'no'} authentication, not Federated with a sign-in page`);
      const appru = cred.appru ?? 'ms-app://s-1-15-2-1929642379-1450419898-2097394839-4013466532-1496012532-1427316013-3004424813';
      try {
        const signedIn = await federatedSignIn({
          authenticationUrl: disc.authenticationUrl,
          appru,
          loginHint: upn,
          method: cred.method,
          server: (url, opts) => this.http('discovery', url, opts),
        });
        if (signedIn.appru !== appru) throw new SimError('discovery', `the sign-in page posts to ${signedIn.appru}, not the appru given (${appru})`);
        wire = { kind: 'entra', jwt: signedIn.wresult, valueType: FEDERATED_VALUE_TYPE };
      } catch (err) {
        if (err instanceof FederatedSignInError) throw new SimError('discovery', `sign-in page: ${err.message}`, err.status);
        throw err;
      }
    }
    const discoveryMs = performance.now() - t0;

    // 2. Certificate enrollment policy.
    t0 = performance.now();
    const policyUrl = disc.policyUrl || base + ENROLLMENT_PATHS.policy;
    const pol = await this.soap('policy', policyUrl, getPoliciesMessage(policyUrl, wire));
    if (!/GetPoliciesResponse/.test(pol.text())) throw new SimError('policy', 'not a GetPoliciesResponse', pol.status);
    const policyMs = performance.now() - t0;

    // 3. Enrollment: PKCS#10 as Windows builds it.
    t0 = performance.now();
    const enrollmentUrl = disc.enrollmentUrl || base + ENROLLMENT_PATHS.enrollment;
    const csr = buildCsr({ privateKey: this.privateKey, publicKey: this.publicKey, subjectCn: this.deviceId, windowsQuirks: true });
    const rst = rstMessage(enrollmentUrl, wire, { requestType: 'Issue', tokenBase64: csr.toString('base64'), context: this.context(type) });
    const e = await this.soap('enrollment', enrollmentUrl, rst);
    let prov: Provisioning;
    try {
      prov = readRstrProvisioning(e.text());
    } catch (err) {
      throw new SimError('enrollment', (err as Error).message, e.status);
    }
    const enrollmentMs = performance.now() - t0;
    const enrollment = this.accept(
      prov,
      type,
      disc.authPolicy,
      { discovery: discoveryMs, policy: policyMs, enrollment: enrollmentMs },
      {
        upn,
        aadDeviceId: str(claims.deviceid),
      },
    );
    return enrollment;
  }

  /** Keep what the provisioning document gives the device and build its DMClient nodes. */
  private accept(
    prov: Provisioning,
    type: 'Device' | 'Full',
    authPolicy: string,
    timings: Enrollment['timings'],
    who: { upn?: string; aadDeviceId?: string },
  ): Enrollment {
    if (!prov.client) throw new SimError('enrollment', 'the provisioning document carries no client certificate');
    const certDer = Buffer.from(prov.client.base64, 'base64');
    const cert = new crypto.X509Certificate(certDer);
    if (!cert.publicKey.equals(this.publicKey)) throw new SimError('enrollment', 'the issued certificate does not certify the device key');
    const rootPem = prov.root ? new crypto.X509Certificate(Buffer.from(prov.root.base64, 'base64')).toString() : undefined;
    const providerId = prov.application['PROVIDER-ID'] ?? prov.dmClient['@id'] ?? '';
    const managementUrl = prov.application.ADDR;
    if (!managementUrl) throw new SimError('enrollment', 'the provisioning document has no APPLICATION ADDR');
    const appsrv = prov.appAuth.find((a) => a.AAUTHLEVEL === 'APPSRV');
    const client = prov.appAuth.find((a) => a.AAUTHLEVEL === 'CLIENT');
    const digest =
      appsrv?.AAUTHNAME && appsrv.AAUTHSECRET
        ? { name: appsrv.AAUTHNAME, secret: appsrv.AAUTHSECRET, nonce: appsrv.AAUTHDATA || client?.AAUTHDATA || '' }
        : undefined;
    const enrollment: Enrollment = {
      enrollmentType: type,
      authPolicy,
      providerId,
      managementUrl,
      certificatePem: cert.toString(),
      certificateThumbprint: cert.fingerprint.replace(/:/g, ''),
      certificateSubject: cert.subject,
      rootPem,
      entDmId: prov.dmClient.EntDMID,
      upn: prov.dmClient.UPN ?? who.upn,
      aadDeviceId: who.aadDeviceId,
      digest,
      serverAuth: client ? { name: client.AAUTHNAME ?? '', secret: client.AAUTHSECRET ?? '', nonce: client.AAUTHDATA ?? '' } : undefined,
      dmClient: prov.dmClient,
      poll: prov.poll,
      provisioning: prov,
      timings,
    };
    addProvider(this.tree, {
      providerId,
      entDmId: prov.dmClient.EntDMID,
      entDeviceName: prov.dmClient.EntDeviceName,
      upn: enrollment.upn,
      aadResourceId: prov.dmClient.AADResourceID,
      aadDeviceId: who.aadDeviceId,
      enrollmentType: type,
      hwDevId: this.hwDevId,
      managementServiceAddress: managementUrl,
      poll: prov.poll,
      extra: prov.dmClient,
    });
    // Other CSPs of the document (Windows Hello's PassportForWork) apply now, before any OMA-DM session.
    for (const n of prov.csps) this.tree.set(n.uri, { format: n.format, value: n.value });
    const store = `./Vendor/MSFT/CertificateStore/My/${prov.client.store}/${enrollment.certificateThumbprint}`;
    this.tree.set(`${store}/EncodedCertificate`, { format: 'b64', value: prov.client.base64 });
    this.tree.set(`${store}/IssuedTo`, { value: cert.subject.replace(/^CN=/, ''), readOnly: true });
    this.tree.set(`${store}/ValidTo`, { value: new Date(cert.validTo).toISOString(), readOnly: true });
    if (prov.root)
      this.tree.set(`./Vendor/MSFT/CertificateStore/Root/System/${prov.root.thumbprint}/EncodedCertificate`, { format: 'b64', value: prov.root.base64 });
    for (const [k, v] of Object.entries(prov.renew ?? {})) this.tree.set(`./Vendor/MSFT/CertificateStore/My/WSTEP/Renew/${k}`, { value: v });
    this.enrollment = enrollment;
    this.state = 'enrolled';
    this.registerPush();
    this.esp.startDevicePhase();
    return enrollment;
  }

  /** RST AdditionalContext as Windows sends it. */
  private context(type: 'Device' | 'Full'): [string, string][] {
    const inv = this.inventory;
    return [
      ['UXInitiated', 'true'],
      ['HWDevID', this.hwDevId],
      ['Locale', inv.language],
      ['TargetedUserLoggedIn', 'true'],
      ['OSEdition', '4'],
      ['DeviceName', inv.deviceName],
      ...(inv.wlanMac ? ([['MAC', inv.wlanMac.replace(/:/g, '-')]] as [string, string][]) : []),
      ['DeviceID', this.deviceId],
      ['EnrollmentType', type],
      ['DeviceType', 'CIMClient_Windows'],
      ['OSVersion', inv.osVersion],
      ['ApplicationVersion', inv.osVersion],
      ['NotInOobe', 'false'],
    ];
  }

  // ---- management ---------------------------------------------------------------------------------

  /** One OMA-DM session (a check-in). Protocol and HTTP failures are in the result, not thrown. */
  async checkin(o: CheckinOptions = {}): Promise<CheckinResult> {
    const e = this.requireEnrolled();
    if (o.user !== undefined) {
      if (o.user === null) this.signOutAll();
      else this.signIn(o.user);
    }
    const s = this.signedIn;
    const full = e.enrollmentType === 'Full';
    const loginStatus: LoginStatus = o.loginStatus ?? (s?.kind === 'entra' || (full && s?.kind !== 'other') ? 'user' : s?.kind === 'other' ? 'others' : 'none');
    const mode = o.mode === undefined ? (loginStatus === 'none' ? 'Machine' : 'Maintenance') : o.mode;
    // The ./User tree this session addresses.
    let userCtx: string | null = null;
    if (mode !== 'Machine' && loginStatus === 'user') {
      if (s?.kind === 'entra') userCtx = s.key;
      else if (full) userCtx = `enrolled:${e.upn ?? 'user'}`;
    }
    this.tree.setUser(userCtx);
    const execStart = this.tree.execs.length;
    // App jobs that ended since the last session report it in this one's package 1.
    const appAlerts = this.apps.takeAlerts(userCtx);
    const t = await this.session({
      loginStatus,
      mode,
      userToken: s?.kind === 'entra' ? s.token : undefined,
      initiator: o.initiator,
      genericAlerts: [...(o.genericAlerts ?? []), ...appAlerts.map((a) => a.alert)],
    });
    if (t.outcome !== 'complete') this.apps.giveBack(appAlerts);
    // Windows runs the install jobs outside the OMA-DM session.
    if ((this.o.appJobs ?? 'after-session') === 'after-session' && this.apps.pending.length) await this.runAppJobs();
    this.esp.evaluate();
    const execs = this.tree.execs.slice(execStart).map((x) => ({ target: x.target, data: x.data }));
    const result: CheckinResult = { ...t, execs };
    if (execs.some((x) => /\/RemoteWipe\/doWipe/.test(x.target))) this.wiped = true;
    const enc = encodeURIComponent(e.providerId);
    const unenrolled = execs.some(
      (x) => x.target.replace(/^\.\/Device\//, './') === `./Vendor/MSFT/DMClient/Provider/${enc}/Unenroll` || x.target.endsWith('/DMClient/Unenroll'),
    );
    if (unenrolled && (this.o.followUnenroll ?? true)) result.unenrollSession = await this.unenroll();
    return result;
  }

  /** User-initiated unenrollment: the 1226 `com.microsoft:mdm.unenrollment.userrequest` session, then local cleanup. */
  async unenroll(): Promise<DmTranscript> {
    const e = this.requireEnrolled();
    const s = this.signedIn;
    const loginStatus: LoginStatus = s?.kind === 'entra' || e.enrollmentType === 'Full' ? 'user' : s?.kind === 'other' ? 'others' : 'none';
    const t = await this.session({
      loginStatus,
      mode: loginStatus === 'none' ? 'Machine' : 'Maintenance',
      unenroll: true,
      userToken: s?.kind === 'entra' ? s.token : undefined,
    });
    this.state = 'unenrolled';
    this.tree.remove(`./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(e.providerId)}`);
    return t;
  }

  private requireEnrolled(): Enrollment {
    if (!this.enrollment || this.state !== 'enrolled')
      throw new SimError('management', this.state === 'unenrolled' ? 'the device is unenrolled' : 'the device is not enrolled');
    return this.enrollment;
  }

  private async session(o: {
    loginStatus: LoginStatus;
    mode: string | null;
    userToken?: string;
    initiator?: '1201' | '1200';
    genericAlerts?: GenericAlert[];
    unenroll?: boolean;
  }): Promise<DmTranscript> {
    const e = this.enrollment!;
    const sessionId = String(++this.sessions);
    const digestMode = this.o.auth === 'digest';
    if (digestMode && !e.digest) throw new SimError('management', 'digest authentication asked for, but the provisioning document has no APPSRV credentials');
    const url = new URL(e.managementUrl);
    if (o.mode) url.searchParams.set('mode', o.mode);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const resume = this.o.tlsResumption !== false && !digestMode;
    const keyPem = digestMode ? undefined : (this.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    try {
      const t = await runDmSession(
        {
          deviceId: this.deviceId,
          serverUrl: e.managementUrl,
          sessionId,
          tree: this.tree,
          initiator: o.initiator,
          loginStatus: o.loginStatus,
          userToken: o.userToken,
          maxMsgSize: this.o.maxMsgSize,
          digest: digestMode ? e.digest : undefined,
          splitResultsOver: this.o.splitResultsOver,
          genericAlerts: o.genericAlerts,
          unenroll: o.unenroll,
          headers: e.entDmId ? { 'client-request-id': e.entDmId } : undefined,
        },
        async (req) => {
          const r = await httpsRequest(req.url ?? url.toString(), {
            method: 'POST',
            body: req.xml,
            headers: req.headers,
            ca: this.o.ca,
            cert: digestMode ? undefined : e.certificatePem,
            key: keyPem,
            agent: this.o.connectionPerMessage ? undefined : agent,
            connectTo: this.o.connectTo,
            timeoutMs: this.o.timeoutMs,
            ...(resume
              ? {
                  session: this.tlsSession?.cert === e.certificatePem ? this.tlsSession.session : undefined,
                  onSession: (s: Buffer) => (this.tlsSession = { cert: e.certificatePem, session: s }),
                }
              : {}),
          });
          this.tlsStats.requests++;
          if (r.tlsResumed) this.tlsStats.resumed++;
          return { status: r.status, body: r.body, contentType: String(r.headers['content-type'] ?? '') };
        },
      );
      if (digestMode && t.nonce && e.digest) e.digest.nonce = t.nonce;
      return t;
    } finally {
      agent.destroy();
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------------

  private async http(step: SimError['step'], url: string, opts: HttpsOptions): Promise<HttpsResponse> {
    try {
      return await httpsRequest(url, { ca: this.o.ca, connectTo: this.o.connectTo, timeoutMs: this.o.timeoutMs, ...opts });
    } catch (err) {
      throw new SimError(step, `${url}: ${(err as Error).message}`);
    }
  }

  private async soap(step: SimError['step'], url: string, xml: string): Promise<HttpsResponse> {
    const r = await this.http(step, url, { method: 'POST', body: xml, headers: { 'content-type': SOAP_TYPE } });
    let fault: SoapFaultInfo | undefined;
    try {
      fault = readFault(r.text());
    } catch {
      fault = undefined;
    }
    if (fault) {
      const detail = fault.errorType ? ` (${fault.errorType})` : '';
      throw new SimError(step, `${fault.subcode}${detail}: ${fault.reason}`, r.status, fault);
    }
    if (r.status !== 200) throw new SimError(step, `HTTP ${r.status}: ${r.text().slice(0, 200)}`, r.status);
    return r;
  }
}
