// Compiled units → OMA-DM command payloads (the reconciler decides which units to send). Pure.
import type { CommandPayload } from '../../domain/command.js';
import type { CompiledNode, CompiledProfile, CompiledUnit } from './types.js';

type Item = NonNullable<CommandPayload['items']>[number];

function item(n: CompiledNode): Item {
  const it: Item = { target: n.uri, format: n.format };
  if (n.type !== undefined) it.type = n.type;
  if (n.format !== 'node') it.data = n.value;
  return it;
}

/**
 * Commands that bring the device to the unit's values. `install`: an Add per node; `update`: a
 * Replace per node (interior `node`-format entries are skipped: they already exist). An atomic
 * unit wraps them in one Atomic. The unit's Exec (SCEP Install/Enroll) follows the nodes — inside
 * that Atomic when there is one, so the enrollment starts only if every leaf was accepted
 * (docs/protocol-notes.md "Certificates": Install leaves and the Exec in one Atomic).
 */
export function unitCommands(unit: CompiledUnit, mode: 'install' | 'update'): CommandPayload[] {
  const kind = mode === 'install' ? 'Add' : 'Replace';
  const cmds: CommandPayload[] = unit.nodes.filter((n) => mode === 'install' || n.format !== 'node').map((n) => ({ kind, items: [item(n)] }));
  if (unit.exec) {
    const ex: Item = { target: unit.exec.uri };
    if (unit.exec.format !== undefined) ex.format = unit.exec.format;
    if (unit.exec.value !== undefined) ex.data = unit.exec.value;
    cmds.push({ kind: 'Exec', items: [ex] });
  }
  if (cmds.length === 0) return [];
  return unit.atomic ? [{ kind: 'Atomic', commands: cmds }] : cmds;
}

/** One Delete per removal root of the profile (separate commands: one missing node does not block the others). */
export function removalCommands(p: CompiledProfile): CommandPayload[] {
  return p.removal.map((uri) => ({ kind: 'Delete', items: [{ target: uri }] }));
}

export const REDACTED = '(secret)';

/** The profile with every secret node value replaced by "(secret)", for logs and plans shown to admins. */
export function redactProfile(p: CompiledProfile): CompiledProfile {
  return {
    ...p,
    units: p.units.map((u) => ({ ...u, nodes: u.nodes.map((n) => (n.secret ? { ...n, value: REDACTED } : n)) })),
  };
}
