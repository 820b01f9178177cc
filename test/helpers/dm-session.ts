// A scripted device's OMA-DM session over real mutual TLS: the test writes the commands of each
// package, this fills in the SyncHdr (the session's id, the next MsgID, the device as source),
// posts it with the enrolled device's certificate and parses the server's answer.
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { StatusCommand, SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import type { EnrolledDevice } from './enrolled.js';
import type { TestServer } from './server.js';

const MDM_PATH = '/ManagementServer/MDM.svc';

/** A Status of the device for command `c` of the server's message `msgRef`; the CmdID is given when it is placed. */
export type DeviceStatus = Omit<StatusCommand, 'cmdId'>;

export class DmSession {
  msgId = 0;
  readonly sessionId: string;
  private readonly s: TestServer;
  private readonly d: EnrolledDevice;
  private readonly headers: Record<string, string>;
  /** `headers` go with every package (an Entra user's bearer token, say). */
  constructor(s: TestServer, d: EnrolledDevice, sessionId: string, headers: Record<string, string> = {}) {
    this.s = s;
    this.d = d;
    this.sessionId = sessionId;
    this.headers = headers;
  }

  /** One package: `body` under the next SyncHdr; the server's reply, parsed (any HTTP status but 200 throws). */
  async send(body: SyncCommand[], o: { final?: boolean; maxMsgSize?: number } = {}): Promise<SyncMLMessage> {
    const m: SyncMLMessage = {
      hdr: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: this.sessionId,
        msgId: String(++this.msgId),
        targetUri: this.s.publicUrl + MDM_PATH,
        sourceUri: this.d.dev.deviceId,
        meta: o.maxMsgSize ? { maxMsgSize: o.maxMsgSize } : undefined,
      },
      final: o.final ?? true,
      body,
    };
    const r = await this.s.request(MDM_PATH, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml', ...this.headers },
      cert: this.d.certPem,
      key: this.d.keyPem,
    });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text()}`);
    return parseSyncML(r.body);
  }

  /** Package 1 of a client-initiated session: Alert 1201, then `extra`. */
  start(extra: SyncCommand[] = [], o: { maxMsgSize?: number } = {}): Promise<SyncMLMessage> {
    return this.send([{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }, ...extra], o);
  }

  /** The device's answer to `reply`: its Statuses (see statusesFor), then `extra`. */
  answer(reply: SyncMLMessage, statuses?: StatusesOf, extra: SyncCommand[] = [], o: { final?: boolean } = {}): Promise<SyncMLMessage> {
    return this.send([...statusesFor(reply, statuses), ...extra], o);
  }
}

/** The Statuses the device gives command `c` of the server's message `msgRef`. */
type StatusesOf = (c: SyncCommand, msgRef: string) => DeviceStatus[];

export const deviceStatus = (msgRef: string, c: SyncCommand, data: string, targetRef?: string): DeviceStatus => ({
  kind: 'Status',
  msgRef,
  cmdRef: c.cmdId,
  cmd: c.kind,
  data,
  items: [],
  ...(targetRef ? { targetRef: [targetRef] } : {}),
});

/**
 * The device's Statuses for `reply`: 200 for its SyncHdr, then `statuses(c)` for every command
 * (an Atomic's or a Sequence's own before its members'; Status and Results get none), numbered
 * from CmdID 1. By default one 200 a command.
 */
export function statusesFor(reply: SyncMLMessage, statuses: StatusesOf = (c, msgRef) => [deviceStatus(msgRef, c, '200')]): SyncCommand[] {
  const body: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: reply.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  const walk = (cmds: SyncCommand[]) => {
    for (const c of cmds) {
      if (c.kind === 'Status' || c.kind === 'Results') continue;
      for (const x of statuses(c, reply.hdr.msgId)) body.push({ ...x, cmdId: String(body.length + 1) } as StatusCommand);
      if (c.kind === 'Atomic' || c.kind === 'Sequence') walk(c.commands);
    }
  };
  walk(reply.body);
  return body;
}
