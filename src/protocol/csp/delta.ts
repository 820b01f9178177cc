// The difference between two compiled versions of a profile, as OMA-DM commands: what takes a
// device that acknowledged `base` to `next`, touching only what changed. Pure.
//
// Rules:
// * No base (never delivered, or its state is unknown after a failure): install every unit (Add;
//   an existing node's 418 is retried as Replace by the session engine).
// * A removal root of base that next no longer has (a renamed VPN, SSID, account) is deleted
//   first; nodes under it need no Delete of their own.
// * A leaf whose format, type or value changed → Replace; a new leaf → Add; a leaf that
//   disappeared → Delete. Interior (`node`) entries are added when new, never replaced.
// * A unit marked reinstallOnChange re-sends all its leaves when any changed (PFX, SCEP), and a
//   unit with an Exec runs it again when anything in it changed.
// * An atomic unit's commands go in one Atomic when there is more than one.
// * `verify`: the sent leaves that can be read back (CompiledNode.readBack), to Get afterwards.
import { createHash } from 'node:crypto';
import type { CommandPayload } from '../../domain/command.js';
import { unitCommands } from './commands.js';
import type { CompiledNode, CompiledProfile, CompiledUnit } from './types.js';

type Item = NonNullable<CommandPayload['items']>[number];

export interface ProfileDelta {
  /** Deletes first, then the units in profile order. */
  commands: CommandPayload[];
  /** Leaves to read back after the commands. */
  verify: CompiledNode[];
}

const sameNode = (a: CompiledNode, b: CompiledNode) => a.format === b.format && a.type === b.type && a.value === b.value;
const under = (uri: string, root: string) => uri === root || uri.startsWith(`${root}/`);

function leafItem(n: CompiledNode): Item {
  const it: Item = { target: n.uri, format: n.format };
  if (n.type !== undefined) it.type = n.type;
  if (n.format !== 'node') it.data = n.value;
  return it;
}

function execCommand(unit: CompiledUnit): CommandPayload[] {
  if (!unit.exec) return [];
  const ex: Item = { target: unit.exec.uri };
  if (unit.exec.format !== undefined) ex.format = unit.exec.format;
  if (unit.exec.value !== undefined) ex.data = unit.exec.value;
  return [{ kind: 'Exec', items: [ex] }];
}

function unitDelta(unit: CompiledUnit, old: Map<string, CompiledNode>, verify: CompiledNode[]): CommandPayload[] {
  const changed = unit.nodes.filter((n) => {
    const o = old.get(n.uri);
    return !o || !sameNode(o, n);
  });
  if (changed.length === 0) return [];
  const send = unit.reinstallOnChange ? unit.nodes : changed;
  const cmds: CommandPayload[] = [];
  for (const n of send) {
    const exists = old.has(n.uri);
    if (n.format === 'node') {
      if (!exists) cmds.push({ kind: 'Add', items: [leafItem(n)] });
      continue;
    }
    cmds.push({ kind: exists ? 'Replace' : 'Add', items: [leafItem(n)] });
    if (n.readBack) verify.push(n);
  }
  cmds.push(...execCommand(unit));
  return unit.atomic && cmds.length > 1 ? [{ kind: 'Atomic', commands: cmds }] : cmds;
}

export function profileDelta(base: CompiledProfile | null, next: CompiledProfile): ProfileDelta {
  const verify: CompiledNode[] = [];
  if (!base) {
    const commands = next.units.flatMap((u) => unitCommands(u, 'install'));
    for (const u of next.units) for (const n of u.nodes) if (n.readBack && n.format !== 'node') verify.push(n);
    return { commands, verify };
  }
  const nextUris = new Set(next.units.flatMap((u) => u.nodes.map((n) => n.uri)));
  const staleRoots = base.removal.filter((r) => !next.removal.includes(r) && ![...nextUris].some((u) => under(u, r) || under(r, u)));
  const commands: CommandPayload[] = staleRoots.map((r) => ({ kind: 'Delete', items: [{ target: r }] }));
  const old = new Map<string, CompiledNode>();
  for (const u of base.units) for (const n of u.nodes) if (!staleRoots.some((r) => under(n.uri, r))) old.set(n.uri, n);
  for (const [uri, n] of old) {
    if (!nextUris.has(uri) && n.format !== 'node') commands.push({ kind: 'Delete', items: [{ target: uri }] });
  }
  for (const u of next.units) commands.push(...unitDelta(u, old, verify));
  return { commands, verify };
}

/**
 * A short digest of a value as a Get should return it, so a read-back can be compared without
 * storing the value: trimmed; booleans lower-case; integers in canonical form; base64 without
 * whitespace.
 */
export function readBackDigest(format: string | undefined, value: string): string {
  let v = value.trim();
  if (format === 'bool') v = v.toLowerCase();
  else if (format === 'int' && /^[+-]?\d+$/.test(v)) v = String(Number(v));
  else if (format === 'b64' || format === 'bin') v = v.replace(/\s+/g, '');
  return createHash('sha256').update(v, 'utf8').digest('base64url').slice(0, 22);
}
