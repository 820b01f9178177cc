// What the device's Statuses and Results say about the commands we sent: each answered
// command's ack (acked, failed, or sent again as Replace after a 418) from its own Status, its
// members' or its items' Statuses, and the inventory the inventory Get read. No I/O: the session
// engine passes the turn's context and commits the acks.
import { STATUS, type Item, type ResultsCommand, type StatusCommand } from '../../protocol/syncml/types.js';
import type { CommandAck, CommandRecord } from '../../domain/command.js';
import type { DmSessionState } from '../../domain/session.js';
import { isInventory } from './commands.js';

/** The part of a turn's context that answers read and write. */
export interface AnswerContext {
  state: Pick<DmSessionState, 'sent'>;
  /** MsgID of our last message before this turn (answers that name no MsgRef refer to it). */
  lastOut: number;
  acks: Map<string, CommandAck>;
  inventory: Record<string, string>;
  inventoryComplete?: boolean;
  /** Commands answered in this message → the Statuses for the command itself (see deriveOutcomes). */
  derive?: Map<string, StatusCommand[]>;
  answered?: Map<string, CommandRecord>;
}

const is2xx = (code: string) => code.length === 3 && code[0] === '2';

/**
 * The outcome of each command answered in this message from everything the device reported
 * for it: an Atomic/Sequence from its own Status and its members' (a member failure fails it,
 * even without a failing Status for the container; members still unanswered and no container
 * Status: not answered yet); a multi-item command from the status of every item (one Status
 * per item, named by TargetRef or in item order), failing at the first item that failed — the
 * inventory Get tolerates 404 (a node this device lacks) and records the missing nodes.
 */
export function deriveOutcomes(ctx: AnswerContext): void {
  for (const [id, own] of ctx.derive ?? []) {
    const a = ctx.acks.get(id);
    const cmd = ctx.answered?.get(id);
    if (!a || !cmd || a.requeueAs) continue;
    const p = cmd.payload;
    const last = own[own.length - 1]?.data;
    if (p.kind === 'Atomic' || p.kind === 'Sequence') {
      const children = a.detail?.children ?? [];
      if (last === undefined && new Set(children.map((c) => c.index)).size < (p.commands?.length ?? 0)) {
        a.state = 'sent';
        continue;
      }
      const bad = failingMember(children);
      if ((last !== undefined && !is2xx(last)) || bad) {
        a.state = 'failed';
        a.status = last ?? bad!.status;
        const at = bad && p.commands?.[bad.index]?.items?.[0]?.target;
        a.error = `device answered ${a.status}${bad ? `; member ${bad.index + 1}${at ? ` (${at})` : ''}: ${bad.status}` : ''}`;
      } else {
        a.state = 'acked';
        a.status = last ?? STATUS.OK;
        a.error = undefined;
      }
      continue;
    }
    const items = p.items ?? [];
    if (items.length < 2 && own.length < 2) continue;
    const per: (string | undefined)[] = items.map(() => undefined);
    const loose: string[] = [];
    for (const st of own) {
      const refs = [...(st.targetRef ?? []), ...(st.sourceRef ?? []), ...st.items.map((i) => i.target ?? i.source ?? '')];
      const idx = refs.map((r) => items.findIndex((it) => it.target === r)).filter((i) => i >= 0);
      if (idx.length) for (const i of idx) per[i] = st.data;
      else loose.push(st.data);
    }
    const open = per.flatMap((x, i) => (x === undefined ? [i] : []));
    if (loose.length === 1) for (const i of open) per[i] = loose[0];
    else loose.forEach((code, k) => k < open.length && (per[open[k]] = code));
    const whole = own.length === 1 && loose.length === 1;
    const missing: string[] = [];
    let bad: number | undefined;
    per.forEach((code, i) => {
      if (code === undefined || is2xx(code)) return;
      if (isInventory(cmd) && code === STATUS.NOT_FOUND) missing.push(items[i].target);
      else bad ??= i;
    });
    a.detail = {
      ...a.detail,
      ...(whole ? {} : { items: per.flatMap((status, index) => (status === undefined ? [] : [{ index, status }])) }),
      ...(missing.length ? { missing } : {}),
    };
    if (bad !== undefined) {
      a.state = 'failed';
      a.status = per[bad];
      a.error = `device answered ${per[bad]} for ${whole && items.length > 1 ? `all ${items.length} items` : items[bad].target}`;
    } else {
      a.state = 'acked';
      a.status = per.find((x) => x !== undefined && is2xx(x)) ?? last;
      a.error = undefined;
    }
  }
}

/**
 * An Atomic of Adds that failed because some of its nodes exist (children answering 418) is
 * sent again (once) with those members as Replace — the Atomic form of 418 → Replace.
 */
export function retryAtomicAdds(ctx: AnswerContext): void {
  for (const a of ctx.acks.values()) {
    const cmd = ctx.answered?.get(a.commandId);
    if (!cmd || a.state !== 'failed' || cmd.payload.kind !== 'Atomic' || cmd.detail?.retriedAs) continue;
    const children = a.detail?.children ?? [];
    const exists = new Set(children.filter((c) => c.status === STATUS.ALREADY_EXISTS).map((c) => c.index));
    if (!exists.size || children.some((c) => c.status[0] !== '2' && c.status !== STATUS.ALREADY_EXISTS)) continue;
    const commands = (cmd.payload.commands ?? []).map((c, i) => (exists.has(i) && c.kind === 'Add' ? { ...c, kind: 'Replace' as const } : c));
    a.requeueAs = { ...cmd.payload, commands };
    a.detail = { ...a.detail, children: undefined, retriedAs: 'Replace' };
    a.state = 'queued';
    a.error = undefined;
  }
}

function ackFor(ctx: AnswerContext, cmd: CommandRecord): CommandAck {
  let a = ctx.acks.get(cmd.id);
  if (!a) {
    a = { commandId: cmd.id, state: 'acked', detail: cmd.detail };
    ctx.acks.set(cmd.id, a);
  }
  return a;
}

/** A Status of the device for one of our commands (or a member of it); `observe` counts status codes (metrics). */
export function onStatus(st: StatusCommand, ctx: AnswerContext, commands: Map<string, CommandRecord>, observe?: (code: string) => void): void {
  if (st.cmd === 'SyncHdr') return;
  const ref = ctx.state.sent[`${st.msgRef ?? ctx.lastOut}:${st.cmdRef}`];
  if (!ref) return;
  const cmd = commands.get(ref.commandId);
  if (!cmd) return;
  observe?.(st.data);
  const a = ackFor(ctx, cmd);
  (ctx.derive ??= new Map()).set(cmd.id, ctx.derive.get(cmd.id) ?? []);
  if (ref.child !== undefined) {
    a.detail = { ...a.detail, children: [...(a.detail?.children ?? []), { index: ref.child, status: st.data }] };
    return;
  }
  ctx.derive.get(cmd.id)!.push(st);
  a.status = st.data;
  // The inventory request counts as done once answered, whatever the device could read.
  if (isInventory(cmd)) ctx.inventoryComplete = true;
  if (st.data === STATUS.ALREADY_EXISTS && cmd.payload.kind === 'Add' && !cmd.detail?.retriedAs) {
    // The node exists: set it with Replace instead (once).
    a.requeueAs = { ...cmd.payload, kind: 'Replace' };
    a.detail = { ...a.detail, retriedAs: 'Replace' };
    return;
  }
  if (is2xx(st.data)) {
    a.state = 'acked';
  } else {
    a.state = 'failed';
    const target = cmd.payload.items?.[0]?.target;
    a.error = `device answered ${st.data}${target ? ` for ${target}` : ''}`;
  }
}

/** Results of a Get: kept on the ack; those of the inventory Get are the device's inventory. */
export function onResults(r: ResultsCommand, ctx: AnswerContext, commands: Map<string, CommandRecord>): void {
  const ref = ctx.state.sent[`${r.msgRef ?? ctx.lastOut}:${r.cmdRef}`];
  const cmd = ref && commands.get(ref.commandId);
  if (!cmd) return;
  const a = ackFor(ctx, cmd);
  const results = r.items.map((it: Item) => ({
    locUri: it.source ?? it.target ?? '',
    format: it.meta?.format ?? r.meta?.format,
    type: it.meta?.type ?? r.meta?.type,
    data: it.data,
  }));
  a.results = [...(a.results ?? []), ...results];
  if (isInventory(cmd)) {
    for (const x of results) if (x.locUri && x.data !== undefined) ctx.inventory[x.locUri] = x.data;
    ctx.inventoryComplete = true;
  }
}

/**
 * The member that made a container fail: the first with an error of its own, else the first
 * rolled back or not executed (216/215: 2xx codes, but nothing was applied).
 */
function failingMember(children: { index: number; status: string }[]): { index: number; status: string } | undefined {
  const undone = (c: string) => c === STATUS.ATOMIC_ROLLBACK_OK || c === STATUS.NOT_EXECUTED;
  return children.find((c) => !is2xx(c.status)) ?? children.find((c) => undone(c.status));
}
