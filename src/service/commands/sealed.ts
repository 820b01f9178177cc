// Secrets in command payloads: a profile's secret values are sealed (identity/secret-box) while
// the command waits in the store, opened only to send it, and shown to an admin as "(secret)".
import { REDACTED } from '../../protocol/csp/commands.js';
import type { CommandPayload } from '../../domain/command.js';

/** Seal the data of every item whose target is one of `secrets`. */
export function sealPayload(p: CommandPayload, secrets: Set<string>, seal: (v: string) => string): CommandPayload {
  if (p.commands) return { ...p, commands: p.commands.map((c) => sealPayload(c, secrets, seal)) };
  if (!p.items?.some((i) => secrets.has(i.target) && i.data !== undefined)) return p;
  return { ...p, items: p.items.map((i) => (secrets.has(i.target) && i.data !== undefined ? { ...i, data: seal(i.data), sealed: true } : i)) };
}

/** Replace every item's data through `fn` where the item is sealed. */
export function mapSealed(p: CommandPayload, fn: (data: string) => string): CommandPayload {
  if (p.commands) return { ...p, commands: p.commands.map((c) => mapSealed(c, fn)) };
  if (!p.items?.some((i) => i.sealed)) return p;
  return { ...p, items: p.items.map((i) => (i.sealed && i.data !== undefined ? { ...i, data: fn(i.data), sealed: undefined } : i)) };
}

export const hasSealed = (p: CommandPayload): boolean => !!p.items?.some((i) => i.sealed) || !!p.commands?.some(hasSealed);

/** The payload as an admin may see it (sealed secrets shown as "(secret)"). */
export const redactPayload = (p: CommandPayload): CommandPayload => mapSealed(p, () => REDACTED);

/** The opened values of the sealed items of a payload (same shape before and after reveal). */
export function sealedValues(sealed: CommandPayload, open: CommandPayload): string[] {
  const out: string[] = [];
  sealed.items?.forEach((it, i) => {
    const v = open.items?.[i]?.data;
    if (it.sealed && v) out.push(v);
  });
  sealed.commands?.forEach((c, i) => out.push(...sealedValues(c, open.commands![i])));
  return out;
}
