// `fenestra tokens ...`: personal API tokens for scripts (fen_<prefix>_<secret>, shown once).
import { flag, str, UsageError } from './args.js';
import { findAdmin } from './admins.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { print, table } from './output.js';

interface Token {
  id: string;
  prefix: string;
  name: string;
  adminUsername?: string;
  role: string;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
  active: boolean;
}

const list: Command = {
  name: 'list',
  summary: 'list your API tokens (--all: everyone’s, owner)',
  usage: `usage: fenestra tokens list [--all] [--json]

  --all  every administrator's tokens (owner)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, all: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Token[]>('GET', `/api/v1/tokens${flag(p, 'all') ? '?all=true' : ''}`);
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['ID', (x) => x.id],
        ['TOKEN', (x) => `fen_${x.prefix}_…`],
        ['NAME', (x) => x.name],
        ['ADMINISTRATOR', (x) => x.adminUsername ?? '-'],
        ['ROLE', (x) => x.role],
        ['STATE', (x) => (x.revokedAt ? 'revoked' : x.active ? 'active' : 'expired')],
        ['LAST USED', (x) => x.lastUsedAt ?? '-'],
        ['EXPIRES', (x) => x.expiresAt ?? '-'],
      ]),
    );
    return 0;
  },
};

const create: Command = {
  name: 'create',
  summary: 'create a personal API token (printed once)',
  usage: `usage: fenestra tokens create NAME [--role ROLE] [--expires-in-days N] [--for USERNAME] [--json]

Prints the token once: keep it in the script's secret store (it is sent as Authorization: Bearer).
  --role ROLE            at most your role (the default)
  --expires-in-days N    the token stops working after N days (1..3650)
  --for USERNAME         a token for another administrator (owner; needed with the break-glass token)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, role: { type: 'string' }, 'expires-in-days': { type: 'string' }, for: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'NAME' },
  async run(p) {
    const api = apiClient(p);
    const body: Record<string, unknown> = { name: p.positionals[0] };
    const role = str(p, 'role');
    if (role) body.role = role;
    const days = str(p, 'expires-in-days');
    if (days !== undefined) {
      if (!/^\d+$/.test(days)) throw new UsageError('--expires-in-days takes a whole number of days');
      body.expiresInDays = Number(days);
    }
    const who = str(p, 'for');
    if (who) body.adminId = (await findAdmin(api, who)).id;
    const r = await api.call<{ token: Token; secret: string }>('POST', '/api/v1/tokens', body);
    print(flag(p, 'json'), r, () => `${r.secret}\n(API token ${r.token.name} of ${r.token.adminUsername ?? '?'}, role ${r.token.role}; shown once)\n`);
    return 0;
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'revoke an API token (by id or its fen_<prefix> part)',
  usage: `usage: fenestra tokens revoke ID|PREFIX [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 1, max: 1, names: 'ID|PREFIX' },
  async run(p) {
    const api = apiClient(p);
    const given = p.positionals[0];
    const prefix = /^(?:fen_)?([0-9a-f]{8})(?:_.*)?$/.exec(given)?.[1];
    let id = given;
    if (prefix) {
      const mine = await api.call<Token[]>('GET', '/api/v1/tokens');
      const found =
        mine.find((x) => x.prefix === prefix) ?? (await api.call<Token[]>('GET', '/api/v1/tokens?all=true').catch(() => [])).find((x) => x.prefix === prefix);
      if (!found) throw new UsageError(`no API token fen_${prefix}_… (fenestra tokens list)`);
      id = found.id;
    }
    const t = await api.call<Token>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    print(flag(p, 'json'), t, () => `revoked API token ${t.name} (fen_${t.prefix}_…)\n`);
    return 0;
  },
};

export const tokensGroup: CommandGroup = { name: 'tokens', summary: 'personal API tokens: create, list, revoke', commands: [list, create, revoke] };
