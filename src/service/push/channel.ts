// The device's side of push: the DMClient nodes we set and read (./Vendor/MSFT/DMClient/Provider/
// <id>/Push/PFN, ChannelURI, Status — DMClient CSP), and which reported ChannelURIs we will ever
// contact. A ChannelURI is device input: it must be https and its host under one of the allowed
// suffixes (the WNS notify domain by default), or we would POST a bearer token wherever a device
// (or whoever holds its certificate) points us — the SSRF guard. Plain http is accepted only for
// a host the operator listed by its exact name (a local fake WNS in tests).
import type { CommandPayload, CommandResult } from '../../domain/command.js';

export function pushNodes(providerId: string) {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}/Push`;
  return { pfn: `${base}/PFN`, channel: `${base}/ChannelURI`, status: `${base}/Status` };
}

/** Set the PFN. Add: the Push node is absent until first set; where it exists the device answers 418 and the engine sends it again as Replace. */
export function pfnPayload(providerId: string, pfn: string): CommandPayload {
  return { kind: 'Add', items: [{ target: pushNodes(providerId).pfn, format: 'chr', data: pfn }] };
}

/** Read the channel and its status (one Get, two items). */
export function channelReadPayload(providerId: string): CommandPayload {
  const n = pushNodes(providerId);
  return { kind: 'Get', items: [{ target: n.channel }, { target: n.status }] };
}

export const MAX_CHANNEL_URI = 2048;

/** Why a ChannelURI is refused (undefined: it may be contacted). `hosts`: exact names, or suffixes starting with '.'. */
export function channelRefusal(raw: string, hosts: readonly string[]): string | undefined {
  if (raw.length > MAX_CHANNEL_URI) return `longer than ${MAX_CHANNEL_URI} characters`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (u.username || u.password) return 'carries credentials';
  const host = u.hostname.toLowerCase();
  const exact = hosts.includes(host) || hosts.includes(u.host.toLowerCase());
  const under = hosts.some((h) => h.startsWith('.') && host.endsWith(h) && host.length > h.length);
  if (!exact && !under) return `host ${host.slice(0, 100)} is not under FENESTRA_WNS_CHANNEL_HOSTS`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && exact) return undefined;
  return `scheme ${u.protocol} is not https`;
}

/** What a channel read answered: the ChannelURI and Push/Status, when the device gave them. */
export function readChannel(results: CommandResult[] | undefined, providerId: string): { channel?: string; status?: number } {
  const n = pushNodes(providerId);
  const out: { channel?: string; status?: number } = {};
  for (const r of results ?? []) {
    if (r.locUri === n.channel && r.data !== undefined && r.data.trim() !== '') out.channel = r.data.trim();
    if (r.locUri === n.status && r.data !== undefined && /^\s*\d{1,3}\s*$/.test(r.data)) out.status = Number(r.data);
  }
  return out;
}
