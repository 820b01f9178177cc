// Payloads as the admin and the engine create them: validation of raw SyncML commands, named
// device actions, and the inventory request. (Queueing them: service/commands/queue.ts.)
import type { CommandPayload, CommandRecord } from '../../domain/command.js';
import { ApiError } from '../errors.js';
import { isXmlText } from '../../protocol/xml-write.js';
import { formatValueProblem } from '../../protocol/csp/node-value.js';
import { complianceGetNodes } from '../compliance/nodes.js';

const VERBS = ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Atomic', 'Sequence'] as const;
const FORMATS = ['chr', 'int', 'bool', 'b64', 'bin', 'xml', 'node', 'null', 'time', 'date', 'float'];
const MAX_DATA = 512 * 1024;

/** OMA-DM LocURI rules (MS-MDM §2.2.x, docs/protocol-notes.md "LocURIs and scope"): relative, rooted at ".", no empty or dot segments. */
export function checkLocUri(uri: unknown, pointer: string): string {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > 1024) throw new ApiError(400, 'invalid', 'must be a LocURI of 1-1024 characters', pointer);
  if (!uri.startsWith('./')) throw new ApiError(400, 'invalid', 'a LocURI starts with "./"', pointer);
  const segs = uri.slice(2).split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..' || s === '*')) {
    throw new ApiError(400, 'invalid', 'a LocURI has no empty, ".", ".." or "*" segments', pointer);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f<>"]/.test(uri) || !isXmlText(uri))
    throw new ApiError(400, 'invalid', 'escape spaces and special characters in a LocURI (URL-encode them)', pointer);
  return uri;
}

/**
 * One node however a LocURI names it, for comparing targets: `./Device/…` and `./…` address the
 * same device tree, `%XX` escapes name the character they encode (`%7B` is `{`), a trailing `/`
 * is no other node. Case is kept: node names are case-sensitive.
 */
function nodeKey(uri: string): string {
  const segs = uri.replace(/\/+$/, '').slice(2).split('/');
  return (segs[0] === 'Device' ? segs.slice(1) : segs).map(decodeSegment).join('/');
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/**
 * Rule 85 (Learn, OMA-DM protocol support): no Add and Replace of the same node inside one Atomic.
 * The members (and those of a Sequence in it) are walked in order; the later of the two is refused,
 * naming the other.
 */
function checkAddReplace(commands: CommandPayload[], pointer: string): void {
  const seen = new Map<string, { verb: string; at: string }>();
  const walk = (list: CommandPayload[], base: string): void => {
    for (const [i, c] of list.entries()) {
      const at = `${base}/commands/${i}`;
      if (c.commands) walk(c.commands, at);
      if (c.kind !== 'Add' && c.kind !== 'Replace') continue;
      for (const it of c.items ?? []) {
        const key = nodeKey(it.target);
        const other = seen.get(key);
        if (!other) seen.set(key, { verb: c.kind, at });
        else if (other.verb !== c.kind) {
          throw new ApiError(
            400,
            'invalid',
            `Windows does not accept Add and Replace of one node in an Atomic: ${it.target} (the ${other.verb} at ${other.at})`,
            at,
          );
        }
      }
    }
  };
  walk(commands, pointer);
}

// A queued value is sent in every session until answered: one XML cannot carry would fail them all.
const NOT_XML_MESSAGE = 'contains a character XML cannot carry (control character, U+FFFE/U+FFFF or unpaired surrogate)';

export interface RawCommandInput {
  verb: string;
  items?: { target: string; format?: string; type?: string; data?: string }[];
  commands?: RawCommandInput[];
}

/** Validate an admin-supplied command; returns the payload to queue. */
export function payloadFromInput(input: RawCommandInput, pointer = '', depth = 0): CommandPayload {
  const verb = input.verb as CommandPayload['kind'];
  if (!VERBS.includes(verb)) throw new ApiError(400, 'invalid', `verb must be one of ${VERBS.join(', ')}`, `${pointer}/verb`);
  if (verb === 'Atomic' || verb === 'Sequence') {
    if (!Array.isArray(input.commands) || input.commands.length === 0) {
      throw new ApiError(400, 'invalid', `${verb} needs at least one command`, `${pointer}/commands`);
    }
    if (depth > 0 && verb === 'Atomic') throw new ApiError(400, 'invalid', 'Windows does not accept nested Atomic', `${pointer}/verb`);
    const commands = input.commands.map((c, i) => payloadFromInput(c, `${pointer}/commands/${i}`, depth + 1));
    if (verb === 'Atomic' && commands.some((c) => c.kind === 'Get' || c.commands?.some((x) => x.kind === 'Get'))) {
      throw new ApiError(400, 'invalid', 'Windows does not accept Get inside Atomic', `${pointer}/commands`);
    }
    if (verb === 'Atomic') checkAddReplace(commands, pointer);
    return { kind: verb, commands };
  }
  if (!Array.isArray(input.items) || input.items.length === 0) throw new ApiError(400, 'invalid', `${verb} needs at least one item`, `${pointer}/items`);
  const items = input.items.map((it, i) => {
    const p = `${pointer}/items/${i}`;
    const target = checkLocUri(it?.target, `${p}/target`);
    if (it.format !== undefined && !FORMATS.includes(it.format))
      throw new ApiError(400, 'invalid', `format must be one of ${FORMATS.join(', ')}`, `${p}/format`);
    if (it.data !== undefined && (typeof it.data !== 'string' || it.data.length > MAX_DATA)) {
      throw new ApiError(400, 'invalid', `data must be a string of at most ${MAX_DATA} characters`, `${p}/data`);
    }
    if (it.data !== undefined && !isXmlText(it.data)) throw new ApiError(400, 'invalid', NOT_XML_MESSAGE, `${p}/data`);
    if (it.type !== undefined && !isXmlText(String(it.type))) throw new ApiError(400, 'invalid', NOT_XML_MESSAGE, `${p}/type`);
    if (verb === 'Get' && it.data !== undefined) throw new ApiError(400, 'invalid', 'a Get carries no data', `${p}/data`);
    // The device would answer 405/415/500 in every session until the command expires.
    const bad = it.data !== undefined ? formatValueProblem(it.format, it.data) : undefined;
    if (bad) throw new ApiError(400, 'invalid', `data ${bad}`, `${p}/data`);
    const out: NonNullable<CommandPayload['items']>[number] = { target };
    if (it.format !== undefined) out.format = it.format;
    if (it.type !== undefined) out.type = String(it.type);
    if (it.data !== undefined) out.data = it.data;
    return out;
  });
  return { kind: verb, items };
}

export const ACTIONS = ['sync', 'reboot', 'wipe', 'retire'] as const;

/**
 * Actions an admin may expect but Windows desktop cannot carry out: refused with why and what to
 * do instead. `lock`: the RemoteLock CSP locks Windows 10 Mobile and HoloLens; desktop editions
 * do not lock (Microsoft's own MDM offers no remote lock for Windows; docs/operations.md).
 */
export const REFUSED_ACTIONS: Readonly<Record<string, string>> = {
  lock:
    'Windows desktop has no remote lock over MDM (RemoteLock/Lock works on Windows 10 Mobile and HoloLens only): ' +
    'disable the user in Entra ID and queue reboot (the device restarts to its sign-in screen), or retire or wipe a lost device',
};
export type ActionName = (typeof ACTIONS)[number];

/** Named device actions. `sync` refreshes inventory at the next check-in. */
export function actionPayload(action: ActionName, providerId: string, tenantId?: string): CommandPayload {
  switch (action) {
    case 'sync':
      return inventoryPayload(providerId, tenantId);
    case 'reboot':
      return { kind: 'Exec', items: [{ target: './Device/Vendor/MSFT/Reboot/RebootNow', format: 'null', data: '' }] };
    case 'wipe':
      return { kind: 'Exec', items: [{ target: './Device/Vendor/MSFT/RemoteWipe/doWipe', format: 'chr', data: '' }] };
    case 'retire':
      return {
        kind: 'Exec',
        items: [{ target: `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}/Unenroll`, format: 'chr', data: providerId }],
      };
  }
}

/** What an admin expects on a device page, read with one Get. */
export const INVENTORY_NODES = [
  './DevDetail/SwV',
  './DevDetail/Ext/Microsoft/OSPlatform',
  './DevDetail/OEM',
  './DevDetail/HwV',
  './DevDetail/FwV',
  './DevDetail/Ext/Microsoft/DeviceName',
  './DevDetail/Ext/Microsoft/DNSComputerName',
  './DevDetail/Ext/Microsoft/SMBIOSSerialNumber',
  './DevDetail/Ext/Microsoft/ProcessorArchitecture',
  './DevDetail/Ext/Microsoft/TotalRAM',
  './DevDetail/Ext/Microsoft/TotalStorage',
  './DevDetail/Ext/Microsoft/FreeStorage',
  './DevDetail/Ext/Microsoft/LocalTime',
  './DevDetail/Ext/WLANMACAddress',
];

/** The inventory Get: the engine's own, or the admin's `sync` action (the same Get). */
export const isInventory = (c: Pick<CommandRecord, 'origin' | 'action'>) => c.origin === 'inventory' || c.action === 'sync';

/**
 * The inventory Get: the device page's nodes, DMClient's, and the fixed set compliance rules read
 * (service/compliance/nodes.ts; the Windows Hello node names the device's tenant). A node the device
 * lacks answers 404 and is left out (answers.ts), which compliance reads as "unknown".
 */
export function inventoryPayload(providerId: string, tenantId?: string): CommandPayload {
  const dmc = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}`;
  const nodes = [...INVENTORY_NODES, `${dmc}/AADDeviceID`, `${dmc}/EnrollmentType`, ...complianceGetNodes(tenantId)];
  return { kind: 'Get', items: nodes.map((target) => ({ target })) };
}
