// Turning queued commands into SyncML commands with session-unique CmdIDs, within the device's
// MaxMsgSize: what does not fit waits for the next message of the package (after Alert 1222).
import { byteLength, commandByteLength } from '../../protocol/syncml/build.js';
import type { SyncCommand } from '../../protocol/syncml/types.js';
import type { CommandRecord } from '../../domain/command.js';
import { toSyncCommand, type CmdIdRef } from '../commands/syncml.js';

export interface OutboundPlan {
  sent: { commandId: string; cmdId: string; child?: number }[];
  pending: string[];
  tooLarge: string[];
}

const EMPTY_HDR = { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '', msgId: '', targetUri: '', sourceUri: '' };
const sizeOf = (body: SyncCommand[]) => byteLength({ hdr: EMPTY_HDR, body, final: true });
const EMPTY = sizeOf([]);

export function buildOutbound(
  ready: CommandRecord[],
  out: SyncCommand[],
  o: { maxBytes: number; msgIdOut: string; nextCmdId: () => string; hdrBytes: number },
): OutboundPlan {
  const plan: OutboundPlan = { sent: [], pending: [], tooLarge: [] };
  // Keep a margin for the header (URLs, session id) and the device's own accounting.
  const budget = Math.floor(o.maxBytes * 0.95) - o.hdrBytes;
  let size = sizeOf(out);
  for (let i = 0; i < ready.length; i++) {
    const c = ready[i];
    const refs: CmdIdRef[] = [];
    // CmdIDs are only consumed for commands that go out in this message.
    let counter = 0;
    const trial = toSyncCommand(c.payload, () => `${++counter}`, []);
    const bytes = commandByteLength(trial);
    if (EMPTY + bytes + o.hdrBytes > o.maxBytes) {
      plan.tooLarge.push(c.id);
      continue;
    }
    if (size + bytes > budget && plan.sent.length > 0) {
      plan.pending.push(
        ...ready
          .slice(i)
          .map((x) => x.id)
          .filter((id) => !plan.tooLarge.includes(id)),
      );
      break;
    }
    out.push(toSyncCommand(c.payload, o.nextCmdId, refs));
    size += bytes;
    for (const r of refs) plan.sent.push({ commandId: c.id, cmdId: r.cmdId, child: r.child });
  }
  return plan;
}
