// The OMA-DM client side of one management session, as a Windows device runs it (MS-MDM;
// docs/protocol-notes.md "OMA-DM sessions"; the real device's packages in fixtures/syncml/07 and 09).
//
// Package 1: SyncHdr (VerDTD 1.2, VerProto DM/1.2, SessionID, MsgID 1, Target = management URL,
// Source = device ID, Meta MaxMsgSize when configured, Cred for digest), Alert 1201 (or 1200),
// Alert 1224 LoginStatus, Alert 1224 AADUserToken (with a user token), any Alert 1226 generic
// alerts, Replace ./DevInfo/*, Final. CmdIDs start at 2 in package 1, as Windows does.
//
// Every later message answers the server's: a Status for its SyncHdr first (CmdRef 0), then one
// Status per command in order (members of Atomic/Sequence after their container; one Status per
// Item with TargetRef when item statuses differ), then Results for successful Gets (the order
// of the published MS-MDM package-3 sample). A server message without Final is answered with the
// statuses and Alert 1222 (next message). The session ends when the server sends a message that
// holds only Status (and Results) elements and Final; that message is not answered.
//
// The transport is a function, so the client can be driven without a server in tests.
import { computeMd5Cred } from '../identity/digest.js';
import { buildSyncML, byteLength, commandByteLength } from '../protocol/syncml/build.js';
import { parseSyncML } from '../protocol/syncml/parse.js';
import {
  ALERT,
  STATUS,
  type AlertCommand,
  type Item,
  type ResultsCommand,
  type StatusCommand,
  type SyncCommand,
  type SyncHdr,
  type SyncMLMessage,
} from '../protocol/syncml/types.js';
import type { CommandOutcome, DmLogEntry, DmTree } from './dm-tree.js';

export const SYNCML_DM_XML = 'application/vnd.syncml.dm+xml';
export const DM_USER_AGENT = 'MSFT OMA DM Client/1.2.0.1';
export const LOGIN_STATUS_TYPE = 'com.microsoft/MDM/LoginStatus';
export const AAD_USER_TOKEN_TYPE = 'com.microsoft/MDM/AADUserToken';
export const UNENROLL_ALERT_TYPE = 'com.microsoft:mdm.unenrollment.userrequest';

export type LoginStatus = 'user' | 'others' | 'none';

/** OMA-DM digest (syncml:auth-md5) credentials from the provisioning doc's APPSRV APPAUTH. */
export interface DigestCredentials {
  /** AAUTHNAME */
  name: string;
  /** AAUTHSECRET */
  secret: string;
  /** Current nonce, base64: AAUTHDATA at first, then the server's last NextNonce. */
  nonce: string;
}

/** A generic alert (1226) for package 1. */
export interface GenericAlert {
  /** The Alert code: 1226 unless said (the MSI job's end comes as 1224, as Learn's example shows it). */
  code?: string;
  type: string;
  format?: string;
  mark?: string;
  source?: string;
  data?: string;
}

export interface DmClientOptions {
  deviceId: string;
  /** The management URL (ADDR): SyncHdr Target. */
  serverUrl: string;
  /** SyncHdr SessionID (Windows: a decimal counter per device). */
  sessionId: string;
  tree: DmTree;
  /** Alert code of package 1: 1201 client-initiated (default), 1200 server-triggered. */
  initiator?: '1201' | '1200';
  /** Alert 1224 LoginStatus; omitted when undefined. */
  loginStatus?: LoginStatus;
  /** Entra user token: Alert 1224 AADUserToken and `Authorization: Bearer`. */
  userToken?: string;
  /** SyncHdr Meta MaxMsgSize on every message. */
  maxMsgSize?: number;
  /** Send Cred (syncml:auth-md5) until the server answers 212. */
  digest?: DigestCredentials;
  /**
   * Split a message of ours whose size exceeds this many bytes: Statuses and as many Results as
   * fit go first without Final, the rest follow after the server's Alert 1222.
   */
  splitResultsOver?: number;
  /** Generic alerts (1226) to put in package 1. */
  genericAlerts?: GenericAlert[];
  /** Package 1 of a user-initiated unenrollment (adds the 1226 unenrollment alert). */
  unenroll?: boolean;
  /** Extra HTTP headers on every POST (e.g. client-request-id). */
  headers?: Record<string, string>;
  /** Stop after this many messages sent (guards against a looping server). Default 64. */
  maxMessages?: number;
}

export interface DmRequest {
  xml: string;
  headers: Record<string, string>;
  /** The server's RespURI from its last reply: where this message goes (else the management URL). */
  url?: string;
}

export interface DmResponse {
  status: number;
  body: string | Buffer;
  contentType?: string;
}

export type DmTransport = (req: DmRequest) => Promise<DmResponse>;

export interface TranscriptMessage {
  direction: 'out' | 'in';
  xml: string;
  msg?: SyncMLMessage;
  /** For 'in': the HTTP status of the response; for 'out': round-trip time in ms. */
  httpStatus?: number;
  ms?: number;
}

export interface DmTranscript {
  sessionId: string;
  messages: TranscriptMessage[];
  /** HTTP status of every response, in order. */
  httpStatuses: number[];
  /** Round trip of every POST, ms. */
  latenciesMs: number[];
  /** The server's commands as the device executed them (tree log entries, final statuses). */
  commands: DmLogEntry[];
  /** Statuses the server returned for the device's commands (SyncHdr included). */
  serverStatuses: StatusCommand[];
  /** The server's SyncHdr status for the last message. */
  hdrStatus?: string;
  /** 'complete': ended by a Status-only Final message; 'aborted': Alert 1223; 'error': see error. */
  outcome: 'complete' | 'aborted' | 'error' | 'running';
  error?: string;
  /** The nonce to use next (server NextNonce), when digest was used. */
  nonce?: string;
  /** Authenticated for the session by digest (212). */
  digestAccepted?: boolean;
}

const is2xx = (code: string) => code.length === 3 && code[0] === '2';

/** Item data as Windows sends it: values with the Source LocURI. */
const devInfoItem = (uri: string, data: string): Item => ({ source: uri, data });

export class DmClientSession {
  readonly transcript: DmTranscript;
  private msgId = 0;
  private pkg1?: SyncCommand[];
  private digestRetried = false;
  /** Credentials accepted (212): stop sending Cred. */
  private authenticated = false;
  /** Later messages of our current package, waiting for the server's 1222. */
  private pending: SyncCommand[][] = [];
  private logStart: number;
  /** SyncHdr RespURI of the server's last reply: the URL of our next message (as Windows does). */
  respUri?: string;
  private readonly o: DmClientOptions;

  constructor(o: DmClientOptions) {
    this.o = o;
    this.transcript = {
      sessionId: o.sessionId,
      messages: [],
      httpStatuses: [],
      latenciesMs: [],
      commands: [],
      serverStatuses: [],
      outcome: 'running',
      nonce: o.digest?.nonce,
    };
    this.logStart = o.tree.log.length;
  }

  get done(): boolean {
    return this.transcript.outcome !== 'running';
  }

  /** HTTP headers of every POST. */
  headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': SYNCML_DM_XML, accept: SYNCML_DM_XML, 'user-agent': DM_USER_AGENT, ...(this.o.headers ?? {}) };
    if (this.o.userToken) h.authorization = `Bearer ${this.o.userToken}`;
    return h;
  }

  /** Package 1. */
  start(): SyncMLMessage {
    const body: SyncCommand[] = [];
    let id = 1; // Windows numbers package 1 from 2
    const next = () => String(++id);
    body.push({ kind: 'Alert', cmdId: next(), data: this.o.initiator ?? ALERT.CLIENT_INITIATED, items: [] });
    if (this.o.loginStatus) {
      body.push({ kind: 'Alert', cmdId: next(), data: ALERT.CLIENT_EVENT, items: [{ meta: { type: LOGIN_STATUS_TYPE }, data: this.o.loginStatus }] });
    }
    if (this.o.userToken) {
      body.push({ kind: 'Alert', cmdId: next(), data: ALERT.CLIENT_EVENT, items: [{ meta: { type: AAD_USER_TOKEN_TYPE }, data: this.o.userToken }] });
    }
    const generic: GenericAlert[] = [...(this.o.unenroll ? [{ type: UNENROLL_ALERT_TYPE, format: 'int', data: '1' }] : []), ...(this.o.genericAlerts ?? [])];
    for (const g of generic) {
      const it: Item = { meta: { type: g.type, ...(g.format ? { format: g.format } : {}), ...(g.mark ? { mark: g.mark } : {}) } };
      if (g.source) it.source = g.source;
      if (g.data !== undefined) it.data = g.data;
      body.push({ kind: 'Alert', cmdId: next(), data: g.code ?? ALERT.GENERIC, items: [it] });
    }
    const devInfo: Item[] = [];
    for (const n of ['DevId', 'Man', 'Mod', 'DmV', 'Lang']) {
      const v = this.o.tree.read(`./DevInfo/${n}`);
      if (v) devInfo.push(devInfoItem(`./DevInfo/${n}`, v.data));
    }
    if (devInfo.length) body.push({ kind: 'Replace', cmdId: next(), items: devInfo });
    this.pkg1 = body;
    return this.message(body, true);
  }

  /**
   * Process the server's reply; returns the next message to send, or undefined when the session
   * is over (see `transcript.outcome`).
   */
  receive(reply: SyncMLMessage): SyncMLMessage | undefined {
    if (this.done) return undefined;
    const msgRef = reply.hdr.msgId;
    if (reply.hdr.respUri) this.respUri = reply.hdr.respUri;
    const statuses: StatusCommand[] = [];
    const results: ResultsCommand[] = [];
    let hdrCode: string | undefined;
    let wantsNext = false;
    let abort = false;
    let commands = 0;

    for (const cmd of reply.body) {
      if (cmd.kind === 'Status') {
        this.transcript.serverStatuses.push(cmd);
        if (cmd.cmd === 'SyncHdr' || cmd.cmdRef === '0') {
          hdrCode = cmd.data;
          const nonce = cmd.chal?.meta.nextNonce;
          if (nonce) this.transcript.nonce = nonce;
        }
        continue;
      }
      if (cmd.kind === 'Results') continue;
      commands++;
      const outcome = this.o.tree.execute(cmd, { msgId: msgRef });
      if (cmd.kind === 'Alert') {
        if (cmd.data === ALERT.NEXT_MESSAGE) wantsNext = true;
        if (cmd.data === ALERT.SESSION_ABORT) abort = true;
      }
      answer(outcome, msgRef, statuses, results);
    }
    this.syncCommands();
    if (hdrCode !== undefined) this.transcript.hdrStatus = hdrCode;

    // Authentication of our SyncHdr.
    if (hdrCode === STATUS.INVALID_CREDENTIALS || hdrCode === STATUS.MISSING_CREDENTIALS) {
      if (!this.o.digest) return this.fail(`the server asked for credentials (SyncHdr ${hdrCode}) and none are configured`);
      if (this.digestRetried || this.authenticated) return this.fail(`credentials refused (SyncHdr ${hdrCode})`);
      this.digestRetried = true;
      // Resend package 1 with the new nonce (next MsgID).
      return this.message(this.pkg1 ?? [], true);
    }
    if (hdrCode === STATUS.AUTH_ACCEPTED) {
      this.authenticated = true;
      this.transcript.digestAccepted = true;
    } else if (hdrCode !== undefined && !is2xx(hdrCode)) {
      return this.fail(`the server refused the message (SyncHdr ${hdrCode})`);
    }

    if (abort) {
      this.transcript.outcome = 'aborted';
      return undefined;
    }
    const head: StatusCommand = { kind: 'Status', cmdId: '', msgRef, cmdRef: '0', cmd: 'SyncHdr', data: STATUS.OK, items: [] };

    if (this.pending.length) {
      if (reply.final && commands === 0 && !wantsNext) {
        return this.fail('the server ended the session before the rest of the device package was asked for (no Alert 1222)');
      }
      const chunk = this.pending.shift()!;
      return this.message([head, ...statuses, ...results, ...chunk], this.pending.length === 0);
    }
    if (!reply.final) {
      // The server's package continues: answer and ask for its next message.
      const alert: AlertCommand = { kind: 'Alert', cmdId: '', data: ALERT.NEXT_MESSAGE, items: [] };
      return this.message([head, ...statuses, ...results, alert], true);
    }
    if (commands === 0) {
      this.transcript.outcome = 'complete';
      return undefined;
    }
    return this.send([head, ...statuses], results);
  }

  /** Our answer package: split when it exceeds splitResultsOver. */
  private send(statuses: StatusCommand[], results: ResultsCommand[]): SyncMLMessage {
    const limit = this.o.splitResultsOver;
    const whole = [...statuses, ...results];
    if (!limit || results.length === 0 || this.sizeOf(whole) <= limit) return this.message(whole, true);
    const chunks = splitResults(results, limit, this.sizeOf(statuses), this.sizeOf([]));
    const first = chunks.shift() ?? [];
    this.pending = chunks;
    return this.message([...statuses, ...first], this.pending.length === 0);
  }

  private sizeOf(body: SyncCommand[]): number {
    return byteLength({ hdr: this.hdr(String(this.msgId + 1)), body: numbered(body, 1), final: true });
  }

  /** Number the commands and wrap them into the next message. */
  private message(body: SyncCommand[], final: boolean): SyncMLMessage {
    this.msgId++;
    const first = body === this.pkg1 ? 2 : 1;
    return { hdr: this.hdr(String(this.msgId)), body: body === this.pkg1 ? body : numbered(body, first), final };
  }

  private hdr(msgId: string): SyncHdr {
    const h: SyncHdr = {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: this.o.sessionId,
      msgId,
      targetUri: this.o.serverUrl,
      sourceUri: this.o.deviceId,
    };
    const d = this.o.digest;
    if (d && !this.authenticated) {
      h.sourceName = d.name;
      h.cred = { format: 'b64', type: 'syncml:auth-md5', data: computeMd5Cred(d.name, d.secret, this.transcript.nonce ?? d.nonce) };
    }
    if (this.o.maxMsgSize) h.meta = { maxMsgSize: this.o.maxMsgSize };
    return h;
  }

  private fail(error: string): undefined {
    this.transcript.outcome = 'error';
    this.transcript.error = error;
    return undefined;
  }

  /** Record a transport-level failure. */
  failWith(error: string): void {
    if (!this.done) this.fail(error);
  }

  private syncCommands(): void {
    this.transcript.commands = this.o.tree.log.slice(this.logStart);
  }
}

/** Statuses (and Results) for one executed server command, members after their container. */
export function answer(o: CommandOutcome, msgRef: string, statuses: StatusCommand[], results: ResultsCommand[]): void {
  const mixed = o.items.length > 1 && o.items.some((i) => i.status !== o.items[0].status);
  if (mixed) {
    for (const it of o.items) {
      statuses.push({ kind: 'Status', cmdId: '', msgRef, cmdRef: o.cmdId, cmd: o.kind, targetRef: [it.target], data: it.status, items: [] });
    }
  } else {
    statuses.push({ kind: 'Status', cmdId: '', msgRef, cmdRef: o.cmdId, cmd: o.kind, data: o.status, items: [] });
  }
  const found = o.items.filter((i) => i.result).map((i) => i.result!);
  if (found.length) results.push({ kind: 'Results', cmdId: '', msgRef, cmdRef: o.cmdId, items: found });
  for (const c of o.children ?? []) answer(c, msgRef, statuses, results);
}

/** Copies of the commands with CmdIDs from `first` on. */
function numbered(body: SyncCommand[], first: number): SyncCommand[] {
  let id = first - 1;
  return body.map((c) => ({ ...c, cmdId: String(++id) }) as SyncCommand);
}

/**
 * Results in chunks of at most `limit` bytes per message (the first chunk shares its message with
 * the statuses), filled item by item: a Results that does not fit continues in the next message
 * as another Results with the same CmdRef; a single item is never split. At least two chunks,
 * so the package really spans two messages.
 */
function splitResults(results: ResultsCommand[], limit: number, statusBytes: number, emptyBytes: number): ResultsCommand[][] {
  const chunks: ResultsCommand[][] = [[]];
  let size = statusBytes;
  for (const r of results) {
    let cur: ResultsCommand | undefined;
    for (const it of r.items) {
      let delta = cur ? commandByteLength({ ...cur, items: [...cur.items, it] }) - commandByteLength(cur) : commandByteLength({ ...r, items: [it] });
      const chunk = chunks[chunks.length - 1];
      if (size + delta > limit && (chunk.length > 0 || chunks.length === 1)) {
        chunks.push([]);
        size = emptyBytes;
        cur = undefined;
        delta = commandByteLength({ ...r, items: [it] });
      }
      if (!cur) {
        cur = { ...r, items: [] };
        chunks[chunks.length - 1].push(cur);
      }
      cur.items.push(it);
      size += delta;
    }
  }
  if (chunks.length === 1) {
    // Everything fit after all (the limit was only passed by rounding): still use two messages.
    const all = chunks[0];
    const half = Math.ceil(all.length / 2);
    return [all.slice(0, half), all.slice(half)];
  }
  return chunks;
}

/** Run one whole session over `transport`. Never throws for protocol or HTTP failures. */
export async function runDmSession(o: DmClientOptions, transport: DmTransport): Promise<DmTranscript> {
  const s = new DmClientSession(o);
  const t = s.transcript;
  const max = o.maxMessages ?? 64;
  let out: SyncMLMessage | undefined = s.start();
  let sent = 0;
  while (out) {
    if (++sent > max) {
      s.failWith(`the session did not end after ${max} messages`);
      break;
    }
    const xml = buildSyncML(out);
    const t0 = performance.now();
    t.messages.push({ direction: 'out', xml, msg: out });
    let res: DmResponse;
    try {
      res = await transport({ xml, headers: s.headers(), url: s.respUri });
    } catch (err) {
      s.failWith(`HTTP request failed: ${(err as Error).message}`);
      break;
    }
    const ms = performance.now() - t0;
    t.latenciesMs.push(ms);
    t.messages[t.messages.length - 1].ms = ms;
    t.httpStatuses.push(res.status);
    const text = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body;
    // A challenge may also come as HTTP 401/407 carrying a SyncML body with the Chal.
    const challenge = res.status === 401 || res.status === 407;
    if (res.status !== 200 && !challenge) {
      t.messages.push({ direction: 'in', xml: text, httpStatus: res.status });
      s.failWith(`HTTP ${res.status}${text ? `: ${text.trim().slice(0, 200)}` : ''}`);
      break;
    }
    let reply: SyncMLMessage;
    try {
      reply = parseSyncML(text);
    } catch (err) {
      t.messages.push({ direction: 'in', xml: text, httpStatus: res.status });
      s.failWith(challenge ? `HTTP ${res.status} without a SyncML challenge` : `unreadable SyncML reply: ${(err as Error).message}`);
      break;
    }
    t.messages.push({ direction: 'in', xml: text, msg: reply, httpStatus: res.status });
    out = s.receive(reply);
  }
  return t;
}
