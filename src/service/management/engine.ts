// The OMA-DM session engine (MS-MDM, SyncML 1.2): one call per POST of a device package.
// Session state lives in the store, so any replica can serve the next message; everything a
// message changes is written in one transaction before we answer.
import type { Logger } from 'pino';
import { EntraTokenError, type EntraValidator } from '../../identity/entra.js';
import { newNonce } from '../../identity/digest.js';
import type { LoginThrottle } from '../../identity/throttle.js';
import type { CertificateAuthority } from '../../pki/ca.js';
import { buildSyncML } from '../../protocol/syncml/build.js';
import { parseSyncML } from '../../protocol/syncml/parse.js';
import { ALERT, STATUS, SyncMLError, type AlertCommand, type StatusCommand, type SyncCommand, type SyncMLMessage } from '../../protocol/syncml/types.js';
import type { SessionTurn, Store } from '../../store/types.js';
import type { CommandAck, CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import type { DmSessionState } from '../../domain/session.js';
import { mergeRows, type Reconciler } from '../reconcile/index.js';
import { holdReason, newCommand } from '../commands/queue.js';
import { hasSealed, sealedValues } from '../commands/sealed.js';
import { hasContentTokens } from '../commands/content-tokens.js';
import { authenticateSession, type PresentedCredential } from './auth.js';
import { inventoryPayload, isInventory } from './commands.js';
import { deriveOutcomes, onResults, onStatus, retryAtomicAdds, type AnswerContext } from './answers.js';
import { boundInventory, boundLoginStatus, capAlerts, DEVICE_INPUT_LIMITS } from './device-input.js';
import { PATHS } from '../urls.js';
import { CheckinScheduleService } from '../checkin-schedule.js';
import { BrandingService } from '../branding.js';
import type { RenewalSettings } from '../../protocol/csp/renewal.js';
import { RenewalSettingsDelivery } from './renewal-settings.js';
import { buildOutbound } from './outbound.js';
import { hashSessionToken, newSessionToken, respUri, SESSION_IDLE_MS } from './session-token.js';
import { traceBody } from './trace.js';
import { AppInventory, sessionUser } from './app-inventory.js';
import { EspSessions } from '../esp/sessions.js';

export interface ManagementSettings {
  publicUrl: string;
  providerId: string;
  /** When the device sends no MaxMsgSize. */
  defaultMaxMsgSize: number;
  maxCommandsPerMessage: number;
  /** Stop a session after this many server packages (guards against loops). */
  maxPackagesPerSession: number;
  traceMaxBytes: number;
  inventoryMaxAgeMs: number;
  /** The certificate renewal settings enrollments get; devices holding others are sent these (rule 60). */
  renewal?: RenewalSettings;
}

export const DEFAULT_MANAGEMENT_SETTINGS: Omit<ManagementSettings, 'publicUrl' | 'providerId'> = {
  defaultMaxMsgSize: 64 * 1024,
  maxCommandsPerMessage: 50,
  maxPackagesPerSession: 20,
  traceMaxBytes: 16 * 1024,
  inventoryMaxAgeMs: 24 * 3600_000,
};

export interface ManagementDeps {
  settings: ManagementSettings;
  store: Store;
  ca: CertificateAuthority;
  entra: EntraValidator;
  now: () => Date;
  log: Logger;
  /** Profile delivery per (device, user). */
  reconciler: Reconciler;
  /** Throttle of digest guessing (shared with enrollment's UsernameToken). */
  loginThrottle?: LoginThrottle;
  /** Metrics hooks (http/metrics). */
  observe?: { sessionStarted(): void; deviceStatus(code: string): void; commands?(sent: number, acks: readonly CommandAck[]): void };
  /** WNS push (service/push): commands to add at a session start (PFN, channel read), and what the device answered. */
  push?: {
    plan(devicePk: string, at: string, queued: CommandRecord[]): Promise<CommandRecord[]>;
    answered(devicePk: string, acks: CommandAck[], commands: Map<string, CommandRecord>, at: string): Promise<void>;
  };
  /** Compliance (service/compliance): told once a turn that completed the inventory Get is committed. */
  compliance?: { inventoryArrived(devicePk: string): Promise<void> };
}

export interface ManagementRequest {
  body: Buffer;
  cred: PresentedCredential;
  /** Entra user token from `Authorization: Bearer`. */
  bearer?: string;
  /** ?mode=Maintenance|Machine */
  mode?: string;
  /** The request's logger; bindDevice re-binds it (and the HTTP layer's) to the device once it is known. */
  log?: Logger;
  bindDevice?: (bindings: { device: string; deviceId: string }) => Logger;
}

export interface ManagementReply {
  status: number;
  contentType: string;
  body: string;
  outcome: string;
  /** Sent as Retry-After (throttled). */
  retryAfterSeconds?: number;
}

export const SYNCML_TYPE = 'application/vnd.syncml.dm+xml';
const LOGIN_STATUS = 'com.microsoft/MDM/LoginStatus';
const AAD_USER_TOKEN = 'com.microsoft/MDM/AADUserToken';
const UNENROLL = 'com.microsoft:mdm.unenrollment.userrequest';
/** Alert type we record when a device's DevInfo/DevId is not the authenticated DeviceID. */
export const DEVID_MISMATCH = 'fenestra/devinfo-devid-mismatch';

const text = (status: number, message: string, outcome: string): ManagementReply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: `${message}\n`,
  outcome,
});

/**
 * How many messages of the session we sent before answering the device's message `msgId`: one
 * per earlier device message (each got exactly one answer, challenges included), so our MsgID
 * for it is the device's. A MsgID that is not a small number counts as 1 (none before).
 */
function answeredBefore(msgId: string, maxPackages: number): number {
  const n = /^[1-9]\d{0,5}$/.test(msgId) ? Number(msgId) : 1;
  return n <= maxPackages ? n - 1 : 0;
}

export class SessionEngine {
  /** Check-in schedules: one per engine, it remembers which devices hold theirs. */
  private schedules?: CheckinScheduleService;
  /** Branding and help contacts (DMClient): one per engine, it remembers which devices hold them. */
  private branding?: BrandingService;
  /** Renewal settings (CertificateStore/My/WSTEP/Renew): one per engine, it remembers which devices hold them. */
  private renewal?: RenewalSettingsDelivery;
  private readonly startedAt: string;
  private readonly deps: ManagementDeps;
  /** Installed apps read back (issue #15). */
  private readonly apps: AppInventory;
  /** The Enrollment Status Page's runs (issue #16). */
  private readonly esp: EspSessions;

  constructor(deps: ManagementDeps) {
    this.deps = deps;
    this.startedAt = deps.now().toISOString();
    this.apps = new AppInventory({ store: deps.store, maxAgeMs: deps.settings.inventoryMaxAgeMs, log: deps.log.child({ component: 'app-inventory' }) });
    this.esp = new EspSessions({ store: deps.store, reconciler: deps.reconciler, providerId: deps.settings.providerId });
  }

  async handle(req: ManagementRequest): Promise<ManagementReply> {
    let msg: SyncMLMessage;
    try {
      msg = parseSyncML(req.body);
    } catch (err) {
      if (err instanceof SyncMLError) return text(err.httpStatus, err.message, 'malformed');
      throw err;
    }
    const { store } = this.deps;
    const hdr = msg.hdr;
    const now = this.deps.now();
    const at = now.toISOString();
    let session: DmSessionState | undefined;
    // A package 1 starts a session: MsgID 1, or package 1 sent again after a challenge (MsgID 2…,
    // recognised by its Alert 1201/1200). It never continues stored state.
    const starts = hdr.msgId === '1' || msg.body.some((c) => c.kind === 'Alert' && (c.data === ALERT.CLIENT_INITIATED || c.data === ALERT.SERVER_INITIATED));
    // State of an unfinished session is forgotten after SESSION_IDLE_MS without a message.
    const load = async (pk: string) => {
      const st = await store.management.getSession(pk, hdr.sessionId);
      return st && Date.parse(st.lastAt ?? st.startedAt) > now.getTime() - SESSION_IDLE_MS ? st : undefined;
    };
    // Digest guessing is throttled (identity/throttle.ts): checked before, the outcome recorded after.
    const digestTry = !req.cred.certDer && !req.cred.certError && hdr.cred !== undefined;
    const guessKey = `dm:${hdr.sourceUri}`;
    const throttle = digestTry ? this.deps.loginThrottle : undefined;
    const verdict = throttle?.check(guessKey, req.cred.clientAddress);
    if (verdict && !verdict.ok) {
      (req.log ?? this.deps.log).info({ source: hdr.sourceUri.slice(0, 80), scope: verdict.scope }, 'management session throttled');
      return {
        ...text(429, `too many failed authentication attempts; retry in ${verdict.retryAfterSeconds} seconds`, 'throttled'),
        retryAfterSeconds: verdict.retryAfterSeconds,
      };
    }
    const auth = await authenticateSession(store, this.deps.ca, hdr, req.cred, async (pk) => (session = starts ? undefined : await load(pk)), now);
    if (throttle && auth.ok && auth.digestJustVerified) throttle.succeeded(guessKey, req.cred.clientAddress);
    else if (throttle && !auth.ok && (auth.kind === 'challenge' ? auth.code === '401' : auth.status === 403)) throttle.failed(guessKey, req.cred.clientAddress);
    if (!auth.ok && auth.kind === 'http') {
      (req.log ?? this.deps.log).info({ source: hdr.sourceUri.slice(0, 80), reason: auth.reason }, 'management session refused');
      return text(auth.status, auth.reason, 'refused');
    }
    if (!auth.ok) return this.challenge(msg, req.body, auth.device, auth.code, at, this.deviceLog(req, auth.device));
    const device = auth.device;
    const log = this.deviceLog(req, device);
    // Any stored state of the SessionID a package 1 starts is stale, so it is not even read (it is
    // overwritten if this session needs state, else pruned by maintenance; a digest session
    // deletes it, its token must not outlive it).
    if (starts) session = undefined;
    else session ??= await load(device.id);
    const stored = session !== undefined || (starts && auth.method === 'digest');
    const isNew = !session;
    const state: DmSessionState = session ?? {
      devicePk: device.id,
      sessionId: hdr.sessionId,
      // Our MsgIDs count the session's messages (rule 72): a package 1 sent again after a 401/407
      // challenge (its MsgID 2, 3…) follows our challenge messages, so we continue after them.
      msgIdOut: starts ? answeredBefore(hdr.msgId, this.deps.settings.maxPackagesPerSession) : 0,
      cmdIdOut: 0,
      sent: {},
      pending: [],
      auth: auth.method,
      startedAt: at,
    };
    state.lastAt = at;
    if (isNew) {
      // Commands sent earlier and never answered go out again — at a package 1 even those of a
      // session with the same SessionID (Windows counts SessionIDs, and restarts them).
      await store.management.requeueUnanswered(device.id, starts ? null : hdr.sessionId, at);
      this.deps.observe?.sessionStarted();
    }
    const maxMsgSize = hdr.meta?.maxMsgSize;
    if (maxMsgSize && maxMsgSize >= 1024) state.maxMsgSize = maxMsgSize;

    const turn: SessionTurn = {
      devicePk: device.id,
      at,
      session: state,
      sessionIsNew: !stored,
      sessionId: hdr.sessionId,
      acks: [],
      sent: [],
      alerts: [],
      traces: [],
      enqueue: [],
    };
    const lastOut = state.msgIdOut;
    const msgIdOut = String(++state.msgIdOut);
    const nextCmdId = () => String(++state.cmdIdOut);
    const out: SyncCommand[] = [];

    // SyncHdr status: 212 (authenticated for the session) after a digest check, with the next nonce.
    const hdrStatus: StatusCommand = { kind: 'Status', cmdId: nextCmdId(), msgRef: hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: STATUS.OK, items: [] };
    if (auth.digestJustVerified) {
      const nonce = newNonce();
      hdrStatus.data = STATUS.AUTH_ACCEPTED;
      hdrStatus.chal = { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonce } };
      turn.device = { ...turn.device, nonce };
    }
    out.push(hdrStatus);

    const acks = new Map<string, CommandAck>();
    const ctx: InboundContext = { log, device, state, turn, acks, lastOut, unenroll: false, abort: false, userToken: req.bearer, inventory: {} };
    const commandsById = await this.loadSentCommands(state, msg);
    ctx.answered = commandsById;
    for (const cmd of msg.body) this.inbound(cmd, ctx, out, nextCmdId, hdr.msgId, commandsById);
    deriveOutcomes(ctx);
    retryAtomicAdds(ctx);
    await this.deps.push?.answered(device.id, [...acks.values()], commandsById, at);
    // Installed apps the device reported: stored; the MSI products' details follow in this session.
    ctx.appsFollow = await this.apps.answered(device, [...acks.values()], commandsById, at);
    turn.enqueue.push(...ctx.appsFollow);
    await this.resolveUser(ctx, req.mode);
    // Profile deliveries whose commands are all answered now.
    const settled = await this.deps.reconciler.settle(device.id, acks, commandsById, at, this.deps.reconciler.userPresent(device, state));
    if (settled) {
      turn.deliveries = settled.updates;
      ctx.deliveryRows = settled.rows;
    }
    // Devices repeat their DevInfo in every package 1: write it only when a value changed.
    const inventory = boundInventory(device.inventory, ctx.inventory);
    if (ctx.inventoryComplete || Object.keys(inventory).some((k) => device.inventory?.[k] !== inventory[k])) {
      turn.device = { ...turn.device, inventory, ...(ctx.inventoryComplete ? { inventoryAt: at } : {}) };
    }
    // Drop the bookkeeping of answered messages; unanswered commands are requeued at the next session.
    // (Not while the device's own package continues: its later messages may still refer to them.)
    if (msg.final) for (const k of Object.keys(state.sent)) if (Number(k.split(':')[0]) <= lastOut) delete state.sent[k];
    turn.acks = [...acks.values()];
    turn.alerts = capAlerts(turn.alerts);
    turn.alertsPerDevice = DEVICE_INPUT_LIMITS.alertsPerDevice;
    turn.sessionsPerDevice = DEVICE_INPUT_LIMITS.sessionsPerDevice;

    let final = true;
    if (ctx.unenroll) {
      await store.management.commitTurn({ ...turn, session: null });
      await store.management.unenroll(device.id, at, 'unenrolled by the user');
      return this.reply({ msg, raw: req.body, msgIdOut, body: out, final: true, turn, outcome: 'unenrolled', committed: true });
    }
    if (ctx.abort) {
      turn.session = null;
    } else if (!msg.final) {
      // The device's package continues in its next message: ask for it.
      out.push({ kind: 'Alert', cmdId: nextCmdId(), data: ALERT.NEXT_MESSAGE, items: [] });
      final = false;
    } else if (state.msgIdOut <= this.deps.settings.maxPackagesPerSession) {
      final = await this.outbound(ctx, req.mode, msgIdOut, out, nextCmdId, isNew);
    }
    const sentSomething = out.some((c) => c.kind !== 'Status');
    if (final && !sentSomething) turn.session = null;
    // A digest session continues only at the RespURI we give it, with a new token every message.
    let next: string | undefined;
    if (auth.method === 'digest' && turn.session) {
      const token = newSessionToken();
      state.tokenHash = hashSessionToken(token);
      next = respUri(this.deps.settings.publicUrl + PATHS.management, token, req.mode);
      (ctx.secrets ??= []).push(token);
    }
    const answer = await this.reply({
      msg,
      raw: req.body,
      msgIdOut,
      body: out,
      final,
      turn,
      outcome: sentSomething ? 'commands' : 'idle',
      secrets: ctx.secrets,
      respUri: next,
    });
    // The inventory compliance reads is in the store now: evaluate (a failure is logged, the device's answer stands).
    if (ctx.inventoryComplete && this.deps.compliance) {
      await this.deps.compliance.inventoryArrived(device.id).catch((err: unknown) => log.warn({ err }, 'compliance evaluation failed'));
    }
    return answer;
  }

  /**
   * Digest challenge: SyncHdr status 401/407 with a fresh nonce (the device's nonce from now on),
   * and the same status for each command of the message (clients retry per command). Nothing of
   * the message is acted on; the exchange goes to the session trace.
   */
  private async challenge(msg: SyncMLMessage, raw: Buffer, device: Device, code: '401' | '407', at: string, log: Logger): Promise<ManagementReply> {
    const nonce = newNonce();
    const msgRef = msg.hdr.msgId;
    const body: SyncCommand[] = [
      {
        kind: 'Status',
        cmdId: '1',
        msgRef,
        cmdRef: '0',
        cmd: 'SyncHdr',
        data: code,
        chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonce } },
        items: [],
      },
    ];
    for (const c of msg.body) {
      if (c.kind !== 'Status') body.push({ kind: 'Status', cmdId: String(body.length + 1), msgRef, cmdRef: c.cmdId, cmd: c.kind, data: code, items: [] });
    }
    log.info({ code }, 'management session challenged');
    const turn: SessionTurn = {
      devicePk: device.id,
      at,
      session: null,
      sessionIsNew: true,
      sessionId: msg.hdr.sessionId,
      acks: [],
      sent: [],
      alerts: [],
      traces: [],
      enqueue: [],
      device: { nonce },
      unauthenticated: true,
    };
    const msgIdOut = String(answeredBefore(msgRef, this.deps.settings.maxPackagesPerSession) + 1);
    return this.reply({ msg, raw, msgIdOut, body, final: true, turn, outcome: `challenge-${code}` });
  }

  /** Every log line of the device's session names it: our id and its DeviceID. */
  private deviceLog(req: ManagementRequest, device: Device): Logger {
    const bindings = { device: device.id, deviceId: device.deviceId };
    return req.bindDevice?.(bindings) ?? (req.log ?? this.deps.log).child(bindings);
  }

  private replyHdr(msg: SyncMLMessage, msgId: string, respUri?: string) {
    return { verDTD: '1.2', verProto: 'DM/1.2', sessionId: msg.hdr.sessionId, msgId, targetUri: msg.hdr.sourceUri, sourceUri: msg.hdr.targetUri, respUri };
  }

  /** Build the reply, trace both messages and commit the turn (see Reply). */
  private async reply(r: Reply): Promise<ManagementReply> {
    const { msg, raw, msgIdOut, body, final, turn, outcome, committed, secrets, respUri } = r;
    const xml = buildSyncML({ hdr: this.replyHdr(msg, msgIdOut, respUri), body, final });
    const max = this.deps.settings.traceMaxBytes;
    const inTrace = traceBody(raw.toString('utf8'), max);
    const outTrace = traceBody(xml, max, secrets);
    const traces = [
      { sessionId: turn.sessionId, msgId: msg.hdr.msgId, direction: 'in' as const, at: turn.at, ...inTrace },
      { sessionId: turn.sessionId, msgId: msgIdOut, direction: 'out' as const, at: turn.at, ...outTrace },
    ];
    if (committed) {
      await this.deps.store.management.commitTurn({ ...turn, session: null, acks: [], sent: [], alerts: [], enqueue: [], traces });
    } else {
      await this.deps.store.management.commitTurn({ ...turn, traces });
    }
    this.deps.observe?.commands?.(committed ? 0 : turn.sent.length, turn.acks);
    return { status: 200, contentType: SYNCML_TYPE, body: xml, outcome };
  }

  private async loadSentCommands(state: DmSessionState, msg: SyncMLMessage): Promise<Map<string, CommandRecord>> {
    const ids = new Set<string>();
    for (const c of msg.body) {
      if (c.kind !== 'Status' && c.kind !== 'Results') continue;
      const ref = state.sent[`${c.msgRef ?? state.msgIdOut}:${c.cmdRef}`];
      if (ref) ids.add(ref.commandId);
    }
    const list = ids.size ? await this.deps.store.management.getCommands([...ids]) : [];
    return new Map(list.map((c) => [c.id, c]));
  }

  private inbound(
    cmd: SyncCommand,
    ctx: InboundContext,
    out: SyncCommand[],
    nextCmdId: () => string,
    msgRef: string,
    commands: Map<string, CommandRecord>,
  ): void {
    const status = (code: string) => out.push({ kind: 'Status', cmdId: nextCmdId(), msgRef, cmdRef: cmd.cmdId, cmd: cmd.kind, data: code, items: [] });
    switch (cmd.kind) {
      case 'Status':
        return onStatus(cmd, ctx, commands, (code) => this.deps.observe?.deviceStatus(code));
      case 'Results':
        // Results is a command like any other: it gets its Status (rule 75, MS-MDM §2.2.6.1).
        onResults(cmd, ctx, commands);
        status(cmd.cmdId ? STATUS.OK : STATUS.BAD_REQUEST);
        return;
      case 'Alert':
        status(cmd.cmdId ? this.onAlert(cmd, ctx) : STATUS.BAD_REQUEST);
        return;
      case 'Replace': {
        if (!cmd.cmdId) return void status(STATUS.BAD_REQUEST);
        // DevInfo/DevId is the device's own name for itself: one that is not the authenticated
        // device is a forged or broken client. Its DevInfo is not stored, the Replace is refused
        // and the admin sees an alert (the session goes on: the device can still be managed).
        const devId = cmd.items.find((it) => (it.source ?? it.target) === './DevInfo/DevId' && it.data !== undefined);
        if (devId && devId.data!.trim() !== ctx.device.deviceId) {
          ctx.log.warn('DevInfo/DevId differs from the authenticated device');
          ctx.turn.alerts.push({ code: ALERT.GENERIC, type: DEVID_MISMATCH, mark: 'critical', source: './DevInfo/DevId', data: devId.data!.slice(0, 256) });
          return void status(STATUS.FORBIDDEN);
        }
        for (const it of cmd.items) {
          const uri = it.source ?? it.target;
          if (uri && uri.startsWith('./DevInfo/') && it.data !== undefined) ctx.inventory[uri] = it.data;
        }
        status(STATUS.OK);
        return;
      }
      default:
        // The device does not send other commands to a server; refuse them without failing the session.
        status(cmd.cmdId ? STATUS.OPTIONAL_FEATURE : STATUS.BAD_REQUEST);
    }
  }

  private onAlert(al: AlertCommand, ctx: InboundContext): string {
    const item = al.items[0];
    const type = item?.meta?.type?.trim();
    switch (al.data) {
      case ALERT.CLIENT_INITIATED:
      case ALERT.SERVER_INITIATED:
        return STATUS.OK;
      case ALERT.NEXT_MESSAGE:
        // The rest of our split package (state.pending) goes out below.
        return STATUS.OK;
      case ALERT.SESSION_ABORT:
        ctx.abort = true;
        return STATUS.OK;
      case ALERT.CLIENT_EVENT:
        if (type === LOGIN_STATUS) {
          // State of the device (kept on it), not an event to store.
          ctx.loginStatus = boundLoginStatus((item?.data ?? '').trim());
        } else if (type === AAD_USER_TOKEN) {
          ctx.userToken = (item?.data ?? '').trim() || ctx.userToken;
        } else {
          ctx.turn.alerts.push({ code: al.data, type, format: item?.meta?.format, source: item?.source, data: item?.data?.slice(0, 4096) });
        }
        return STATUS.OK;
      case ALERT.GENERIC:
        for (const it of al.items) {
          const t = it.meta?.type?.trim();
          if (t === UNENROLL) ctx.unenroll = true;
          ctx.turn.alerts.push({ code: al.data, type: t, format: it.meta?.format, mark: it.meta?.mark, source: it.source, data: it.data?.slice(0, 4096) });
        }
        return STATUS.OK;
      default:
        ctx.turn.alerts.push({ code: al.data, type, data: item?.data?.slice(0, 4096) });
        return STATUS.OK;
    }
  }

  /** The signed-in Entra user: from the AADUserToken alert or the Authorization header, validated. */
  private async resolveUser(ctx: InboundContext, mode: string | undefined): Promise<void> {
    const { state, turn } = ctx;
    // Device columns are written only when they change (most check-ins change nothing).
    if (ctx.loginStatus !== undefined) {
      state.loginStatus = ctx.loginStatus;
      if (ctx.loginStatus !== ctx.device.loginStatus) turn.device = { ...turn.device, loginStatus: ctx.loginStatus };
    }
    if (mode === 'Machine' || (ctx.loginStatus !== undefined && ctx.loginStatus !== 'user')) {
      state.user = undefined;
      if (ctx.loginStatus !== undefined && ctx.device.currentUserOid) turn.device = { ...turn.device, currentUser: null };
      return;
    }
    if (!ctx.userToken || state.user) return;
    try {
      const id = await this.deps.entra.validate(ctx.userToken);
      if (ctx.device.tenantId && id.tenantId !== ctx.device.tenantId) throw new EntraTokenError('unknown_tenant', 'user of another tenant');
      state.user = { oid: id.objectId, upn: id.upn };
      turn.device = { ...turn.device, currentUser: state.user };
      turn.login = state.user;
    } catch (err) {
      const code = err instanceof EntraTokenError ? err.code : 'error';
      ctx.log.info({ code }, 'session user token refused');
      turn.alerts.push({ code: ALERT.CLIENT_EVENT, type: AAD_USER_TOKEN, data: `refused: ${code}` });
    }
  }

  /** Choose and serialise our commands for this message. Returns whether the package is complete (Final). */
  private async outbound(
    ctx: InboundContext,
    mode: string | undefined,
    msgIdOut: string,
    out: SyncCommand[],
    nextCmdId: () => string,
    isNew: boolean,
  ): Promise<boolean> {
    const { device, state, turn } = ctx;
    const s = this.deps.settings;
    let candidates: CommandRecord[];
    if (state.pending.length) {
      candidates = await this.deps.store.management.getCommands(state.pending);
      state.pending = [];
    } else {
      candidates = await this.deps.store.management.deliverable(device.id, s.maxCommandsPerMessage);
      // A 418 just answered: its Replace goes out in this same session, first.
      const retried: CommandRecord[] = [];
      for (const a of ctx.acks.values()) {
        const c = a.requeueAs && ctx.answered?.get(a.commandId);
        if (c) retried.push({ ...c, payload: a.requeueAs!, state: 'queued', detail: a.detail });
      }
      candidates = [...retried, ...candidates.filter((c) => !retried.some((r) => r.id === c.id))];
      candidates.push(...(await this.planProfiles(ctx, mode)));
      // The Enrollment Status Page: its declarations before the deliveries, ServerHasFinishedProvisioning after.
      // (Most turns: nothing to do, known from memory without a call.)
      if (!this.esp.quiet(device.id, isNew)) {
        const user = this.deps.reconciler.userContext(device, state, mode);
        const esp = await this.esp.turn({ device, user, at: turn.at, isNew, rows: ctx.deliveryRows, planned: turn.deliveries, log: ctx.log });
        if (esp) {
          turn.enqueue.push(...esp.first, ...esp.last);
          candidates = [...esp.first, ...candidates, ...esp.last];
        }
      }
      // (Queued with the turn already: they wait there when this message cannot carry them.)
      if (ctx.appsFollow?.length) candidates.push(...ctx.appsFollow);
      if (isNew) {
        const stale = !device.inventoryAt || Date.parse(turn.at) - Date.parse(device.inventoryAt) > s.inventoryMaxAgeMs;
        if (stale && !candidates.some(isInventory)) {
          const inv = newCommand(device.id, inventoryPayload(s.providerId, device.tenantId), { origin: 'inventory', at: turn.at });
          turn.enqueue.push(inv);
          candidates.unshift(inv);
        }
        // The installed apps are read with the inventory (stale, or the admin's sync).
        const sync = candidates.some((c) => c.action === 'sync' && c.state === 'queued');
        if (stale || sync) {
          const apps = await this.apps.plan({ device, user: sessionUser(device, state, mode), refresh: stale, sync, at: turn.at, queued: candidates });
          turn.enqueue.push(...apps);
          candidates.push(...apps);
        }
        const push = (await this.deps.push?.plan(device.id, turn.at, candidates)) ?? [];
        turn.enqueue.push(...push);
        candidates.push(...push);
        // Both settings below are marked by the profile generation (their changes move it): read once.
        const generation = await this.deps.store.profiles.generation();
        // The check-in schedule, when the device holds another one than its effective schedule.
        const poll = await (this.schedules ??= new CheckinScheduleService(this.deps.store, s.providerId)).due(device, turn.at, generation);
        turn.enqueue.push(...poll);
        candidates.push(...poll);
        // The branding and help contacts, at the first session and when the admin changed them.
        const brand = await (this.branding ??= new BrandingService(this.deps.store, s.providerId)).due(device, turn.at, generation);
        turn.enqueue.push(...brand);
        candidates.push(...brand);
        // The renewal settings, when the server's changed since the device got its own (rule 60).
        if (s.renewal) {
          const renew = await (this.renewal ??= new RenewalSettingsDelivery(this.deps.store, s.renewal, this.startedAt)).due(device, turn.at);
          turn.enqueue.push(...renew);
          candidates.push(...renew);
        }
      }
    }
    const ready: CommandRecord[] = [];
    const hold: { id: string; reason: string }[] = [];
    const who = { enrollmentType: device.enrollmentType, userOid: state.user?.oid, machine: mode === 'Machine' };
    for (const c of candidates) {
      if (c.state !== 'queued' && c.state !== 'held' && c.state !== 'sent') continue;
      if (c.expiresAt && c.expiresAt < turn.at) {
        ctx.acks.set(c.id, { commandId: c.id, state: 'expired', error: 'expired before delivery' });
        continue;
      }
      const why = holdReason(c, who);
      if (why) hold.push({ id: c.id, reason: why });
      else ready.push(c);
    }
    if (hold.length) {
      const newlyHeld = hold.filter((h) => candidates.find((c) => c.id === h.id)?.state !== 'held');
      for (const h of newlyHeld) await this.deps.store.management.setCommandState([h.id], 'held', h.reason, turn.at);
    }
    const maxMsgSize = state.maxMsgSize ?? s.defaultMaxMsgSize;
    const revealed = ready.map((c) => {
      if (!hasSealed(c.payload) && !hasContentTokens(c.payload)) return c;
      const payload = this.deps.reconciler.reveal(c.payload);
      (ctx.secrets ??= []).push(...sealedValues(c.payload, payload));
      return { ...c, payload };
    });
    const plan = buildOutbound(revealed, out, { maxBytes: maxMsgSize, msgIdOut, nextCmdId, hdrBytes: 600 });
    for (const sent of plan.sent) {
      // One delivery per command: the members of an Atomic/Sequence are not deliveries of their own.
      if (sent.child === undefined) turn.sent.push({ commandId: sent.commandId, msgId: msgIdOut, cmdId: sent.cmdId });
      state.sent[`${msgIdOut}:${sent.cmdId}`] = { commandId: sent.commandId, child: sent.child };
    }
    for (const f of plan.tooLarge) ctx.acks.set(f, { commandId: f, state: 'failed', error: 'larger than the device MaxMsgSize' });
    state.pending = plan.pending;
    turn.acks = [...ctx.acks.values()];
    return plan.pending.length === 0;
  }

  /** The profile commands this (device, user) needs now; rows and the plan mark go into the turn. */
  private async planProfiles(ctx: InboundContext, mode: string | undefined): Promise<CommandRecord[]> {
    const { device, state, turn } = ctx;
    const r = this.deps.reconciler;
    const user = r.userContext(device, state, mode);
    const sp = await r.plan(device, user, { userPresent: r.userPresent(device, state), at: turn.at, rows: ctx.deliveryRows });
    if (!sp) return [];
    const { plan, mark } = sp;
    if (plan.deliveries.length) turn.deliveries = mergeRows(turn.deliveries ?? [], plan.deliveries);
    if (plan.drop.length) turn.dropDeliveries = plan.drop;
    turn.enqueue.push(...plan.commands);
    const settledNow = plan.settled && plan.commands.length === 0;
    if (settledNow && device.planMark !== mark) turn.device = { ...turn.device, planMark: mark };
    if (!settledNow && device.planMark === mark) turn.device = { ...turn.device, planMark: null };
    if (plan.missing.length) ctx.log.warn({ missing: plan.missing.length }, 'profile plan incomplete');
    return plan.commands;
  }
}

/** What `reply()` builds, traces and commits. */
interface Reply {
  /** The device's message, and its bytes for the trace. */
  msg: SyncMLMessage;
  raw: Buffer;
  msgIdOut: string;
  body: SyncCommand[];
  /** Our package is complete (Final). */
  final: boolean;
  turn: SessionTurn;
  /** How the turn ended (the x-fenestra-outcome header): commands, idle, unenrolled, challenge-401… */
  outcome: string;
  /** The turn's writes are committed already (unenrollment): only the traces are written. */
  committed?: boolean;
  /** Values sent in this message that must not reach the trace. */
  secrets?: string[];
  /** Where a digest session continues (a RespURI with the next session token). */
  respUri?: string;
}

interface InboundContext extends AnswerContext {
  /** Bound to the device (deviceLog). */
  log: Logger;
  /** Opened profile secrets sent in this message (kept out of the trace). */
  secrets?: string[];
  /** Delivery rows of the device as this turn leaves them (loaded when answers settled some). */
  deliveryRows?: ProfileDelivery[];
  device: Device;
  state: DmSessionState;
  turn: SessionTurn;
  unenroll: boolean;
  abort: boolean;
  loginStatus?: string;
  userToken?: string;
  /** Commands that follow from this message's answers (the MSI products' details), sent in this session. */
  appsFollow?: CommandRecord[];
}
