// A queued command's payload as the SyncML command that carries it: what the session engine sends
// and what the admin's dry run shows.
import type { ContainerCommand, ItemCommand, SyncCommand } from '../../protocol/syncml/types.js';
import type { CommandPayload } from '../../domain/command.js';

/** Where a CmdID went: the command itself, or a member of its Atomic/Sequence (by index). */
export type CmdIdRef = { cmdId: string; child?: number };

/** SyncML command for a payload; records every CmdID it uses (children of Atomic/Sequence by index). */
export function toSyncCommand(p: CommandPayload, nextCmdId: () => string, refs: CmdIdRef[], childIndex?: number): SyncCommand {
  const cmdId = nextCmdId();
  refs.push({ cmdId, child: childIndex });
  if (p.kind === 'Atomic' || p.kind === 'Sequence') {
    const commands = (p.commands ?? []).map((c, i) => toSyncCommand(c, nextCmdId, refs, i) as ItemCommand | ContainerCommand);
    return { kind: p.kind, cmdId, commands };
  }
  return {
    kind: p.kind,
    cmdId,
    items: (p.items ?? []).map((it) => ({
      target: it.target,
      meta: it.format || it.type ? { format: it.format, type: it.type } : undefined,
      data: it.data,
      dataIsXml: it.dataIsXml,
    })),
  };
}
