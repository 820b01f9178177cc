// `fenestra devices ...`: the fleet as the admin API shows it, and commands queued to a device.
import { flag, str, UsageError, type Parsed } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { readJsonArg } from './json-arg.js';
import { print, record, table, type Row } from './output.js';

interface DeviceRow {
  id: string;
  deviceId: string;
  state: string;
  enrollmentType?: string;
  user?: { upn?: string; oid?: string };
  signedInUser?: { upn?: string; oid?: string };
  deviceName?: string;
  osVersion?: string;
  inventory?: { hostname?: string; osVersion?: string };
  lastSeenAt?: string;
}

const enc = encodeURIComponent;
const json = (p: Parsed) => flag(p, 'json');

/** The list payload may be an array or a page object ({devices|items, next}), depending on the server version. */
const rowsOf = (body: unknown): DeviceRow[] => {
  if (Array.isArray(body)) return body as DeviceRow[];
  const o = body as { devices?: DeviceRow[]; items?: DeviceRow[] } | undefined;
  return o?.devices ?? o?.items ?? [];
};

const matches = (d: DeviceRow, q: string) =>
  [d.id, d.deviceId, d.deviceName, d.inventory?.hostname, d.user?.upn, d.user?.oid, d.signedInUser?.upn].some((v) => v?.toLowerCase().includes(q));

const list: Command = {
  name: 'list',
  summary: 'list devices',
  usage: `usage: fenestra devices list [--search TEXT] [--limit N] [--json]

Lists enrolled devices: id, DeviceID, state, user, host name, OS version, last seen.
  --search TEXT   only devices whose id, DeviceID, name, host name or user contains TEXT
  --limit N       at most N devices (1-1000, default 100)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, search: { type: 'string' }, limit: { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const limit = str(p, 'limit') ?? '100';
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError('--limit must be an integer from 1 to 1000');
    const search = str(p, 'search');
    const qs = new URLSearchParams({ limit });
    if (search) qs.set('search', search);
    const api = apiClient(p);
    const body = await api.call('GET', `/api/v1/devices?${qs}`);
    // Filtered here too: the same answer whether the server filters or not.
    const rows = search ? rowsOf(body).filter((d) => matches(d, search.toLowerCase())) : rowsOf(body);
    print(json(p), Array.isArray(body) ? rows : body, () =>
      table(rows, [
        ['ID', (d) => d.id],
        ['DEVICEID', (d) => d.deviceId],
        ['STATE', (d) => d.state],
        ['USER', (d) => d.user?.upn ?? d.signedInUser?.upn ?? d.user?.oid],
        ['HOST', (d) => d.inventory?.hostname ?? d.deviceName],
        ['OS', (d) => d.inventory?.osVersion ?? d.osVersion],
        ['LAST SEEN', (d) => d.lastSeenAt],
      ]),
    );
    return 0;
  },
};

const show: Command = {
  name: 'show',
  summary: 'one device in full',
  usage: `usage: fenestra devices show ID [--json]

Shows one device (by our id or its Windows DeviceID) without its raw inventory nodes (--json has them).

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(p) {
    const d = await apiClient(p).call<Row>('GET', `/api/v1/devices/${enc(p.positionals[0])}`);
    print(json(p), d, () => {
      const inv = d.inventory as Row | undefined;
      return record({ ...d, inventory: inv ? { ...inv, nodes: undefined } : undefined });
    });
    return 0;
  },
};

interface CommandRow {
  id: string;
  action?: string;
  origin?: string;
  state: string;
  status?: string;
  createdAt: string;
  sentAt?: string;
  payload?: { verb?: string };
}

const commands: Command = {
  name: 'commands',
  summary: "a device's command queue and history",
  usage: `usage: fenestra devices commands ID [--limit N] [--json]

Lists the commands queued to a device and what became of them (state, SyncML status).
  --limit N   at most N (1-1000, default 100)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, limit: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(p) {
    const limit = str(p, 'limit') ?? '100';
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError('--limit must be an integer from 1 to 1000');
    const body = await apiClient(p).call<CommandRow[] | { commands?: CommandRow[]; items?: CommandRow[] }>(
      'GET',
      `/api/v1/devices/${enc(p.positionals[0])}/commands?limit=${limit}`,
    );
    const rows = Array.isArray(body) ? body : (body.commands ?? body.items ?? []);
    print(json(p), body, () =>
      table(rows, [
        ['ID', (c) => c.id],
        ['WHAT', (c) => c.action ?? c.payload?.verb ?? c.origin],
        ['STATE', (c) => c.state],
        ['STATUS', (c) => c.status],
        ['CREATED', (c) => c.createdAt],
        ['SENT', (c) => c.sentAt],
      ]),
    );
    return 0;
  },
};

const ACTIONS = ['reboot', 'wipe', 'retire', 'sync'];

const queue: Command = {
  name: 'queue',
  summary: 'queue an action (reboot, wipe, retire, sync) or a raw OMA-DM command',
  usage: `usage: fenestra devices queue ID (--action reboot|wipe|retire|sync | --raw JSON) [--user OID] [--expires-in HOURS] [--json]

Queues a command; the device receives it at its next check-in.
  --action NAME       reboot, wipe, retire or sync
  --raw JSON          a raw command as the API takes it, e.g.
                      '{"verb":"Get","items":[{"target":"./DevDetail/SwV"}]}' (@FILE reads it from FILE)
  --user OID          deliver only in a session of this Entra user
  --expires-in HOURS  drop it if not delivered by then (1-8760)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, action: { type: 'string' }, raw: { type: 'string' }, user: { type: 'string' }, 'expires-in': { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(p) {
    const action = str(p, 'action');
    const raw = str(p, 'raw');
    if (!action === !raw) throw new UsageError('give one of --action or --raw');
    let body: Record<string, unknown>;
    if (action) {
      if (!ACTIONS.includes(action)) throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}`);
      body = { action };
    } else {
      body = readJsonArg(raw!, '--raw');
    }
    const user = str(p, 'user');
    if (user) body.userOid = user;
    const exp = str(p, 'expires-in');
    if (exp !== undefined) {
      if (!/^\d+$/.test(exp)) throw new UsageError('--expires-in must be a whole number of hours');
      body.expiresInHours = Number(exp);
    }
    const c = await apiClient(p).call<CommandRow>('POST', `/api/v1/devices/${enc(p.positionals[0])}/commands`, body);
    print(json(p), c, () => `queued ${c.action ?? c.payload?.verb ?? 'command'} ${c.id} (${c.state}) for ${p.positionals[0]}\n`);
    return 0;
  },
};

export const devicesGroup: CommandGroup = {
  name: 'devices',
  summary: 'list and show devices, their commands; queue a command',
  commands: [list, show, commands, queue],
};
