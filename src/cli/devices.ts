// `fenestra devices ...`: the fleet as the admin API shows it, and commands queued to a device.
import { flag, str, UsageError, type Parsed } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { io } from './io.js';
import { readJsonArg } from './json-arg.js';
import { print, record, table, type Row } from './output.js';

interface DeviceRow {
  id: string;
  deviceId: string;
  state: string;
  user?: { upn?: string; oid?: string };
  signedInUser?: { upn?: string; oid?: string };
  hostName?: string;
  deviceName?: string;
  osBuild?: string;
  osVersion?: string;
  edition?: string;
  lastSeenAt?: string;
}

interface DevicePage {
  total?: number;
  /** The server counted up to `total` and stopped: more match. */
  totalIsLowerBound?: boolean;
  devices: DeviceRow[];
  nextCursor?: string;
}

const enc = encodeURIComponent;
const json = (p: Parsed) => flag(p, 'json');

/** Options of `devices list` → the API's query parameters (GET /api/v1/devices). */
const FILTERS: Record<string, string> = {
  search: 'q',
  upn: 'upn',
  'device-id': 'deviceId',
  'host-name': 'hostName',
  'os-build': 'osBuild',
  edition: 'edition',
  'enrollment-type': 'enrollmentType',
  state: 'state',
  'last-seen-before': 'lastSeenBefore',
  'last-seen-after': 'lastSeenAfter',
  'profile-status': 'profileStatus',
  'profile-id': 'profileId',
  sort: 'sort',
  limit: 'limit',
  cursor: 'cursor',
};

const list: Command = {
  name: 'list',
  summary: 'list devices (search, filters, stale ones, CSV)',
  usage: `usage: fenestra devices list [filters] [--all] [--csv] [--json]

Lists devices: id, DeviceID, state, user, host name, OS build, edition, last seen. The server
filters; every filter is one query parameter of GET /api/v1/devices.
  --search TEXT              part of the UPN, DeviceID, id or host name (case-insensitive)
  --upn UPN                  enrollment or signed-in user
  --device-id ID             the Windows DeviceID
  --host-name NAME           host name
  --os-build BUILD           OS build prefix, e.g. 10.0.22631
  --edition NAME             Enterprise, Pro, Education... (or its number)
  --enrollment-type Full|Device
  --state enrolled|unenrolled
  --stale                    enrolled devices not seen for the stale-device policy's days
  --last-seen-before TIME    last check-in before TIME (ISO 8601)
  --last-seen-after TIME     last check-in at or after TIME
  --profile-status STATUS    with a profile delivery in STATUS (pending, failed, ...)
  --profile-id ID            of this profile
  --sort FIELD               e.g. lastSeenAt, -lastSeenAt (descending)
  --limit N                  devices per page (1-1000, default 100)
  --cursor CURSOR            the next page (printed under a full page)
  --all                      every page
  --csv                      the list as CSV (every matching device)

${CONNECTION_HELP}`,
  options: {
    ...CONNECTION_OPTIONS,
    ...Object.fromEntries(Object.keys(FILTERS).map((k) => [k, { type: 'string' as const }])),
    stale: { type: 'boolean' },
    all: { type: 'boolean' },
    csv: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const qs = new URLSearchParams();
    for (const [opt, param] of Object.entries(FILTERS)) {
      const v = str(p, opt);
      if (v !== undefined) qs.set(param, v);
    }
    if (flag(p, 'stale')) qs.set('stale', 'true');
    const api = apiClient(p);
    if (flag(p, 'csv')) {
      qs.set('format', 'csv');
      io().stdout.write(await api.call<string>('GET', `/api/v1/devices?${qs}`));
      return 0;
    }
    const page = await api.call<DevicePage>('GET', `/api/v1/devices?${qs}`);
    const rows = [...page.devices];
    let next = page.nextCursor;
    while (flag(p, 'all') && next) {
      qs.set('cursor', next);
      const more = await api.call<DevicePage>('GET', `/api/v1/devices?${qs}`);
      rows.push(...more.devices);
      next = more.nextCursor;
    }
    print(json(p), flag(p, 'all') ? { total: page.totalIsLowerBound ? rows.length : page.total, devices: rows } : page, () => {
      const shown = table(rows, [
        ['ID', (d) => d.id],
        ['DEVICEID', (d) => d.deviceId],
        ['STATE', (d) => d.state],
        ['USER', (d) => d.user?.upn ?? d.signedInUser?.upn ?? d.user?.oid],
        ['HOST', (d) => d.hostName ?? d.deviceName],
        ['OS', (d) => d.osBuild ?? d.osVersion],
        ['EDITION', (d) => d.edition],
        ['LAST SEEN', (d) => d.lastSeenAt ?? 'never'],
      ]);
      const total = page.total === undefined ? '?' : `${page.total}${page.totalIsLowerBound ? '+' : ''}`;
      const more = next ? `${rows.length} of ${total}; next page: --cursor ${next} (or --all)\n` : '';
      return shown + more;
    });
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
  payload?: { kind?: string };
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
        ['WHAT', (c) => c.action ?? c.payload?.kind ?? c.origin],
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
    print(json(p), c, () => `queued ${c.action ?? c.payload?.kind ?? 'command'} ${c.id} (${c.state}) for ${p.positionals[0]}\n`);
    return 0;
  },
};

export const devicesGroup: CommandGroup = {
  name: 'devices',
  summary: 'list and show devices, their commands; queue a command',
  commands: [list, show, commands, queue],
};
