// `fenestra profiles ...`: configuration profiles (Wi-Fi, VPN, mail, certificates, Hello, custom).
import { flag, str, UsageError } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { print, record, table, type Row } from './output.js';

interface Profile {
  id: string;
  name: string;
  kind: string;
  scope: string;
  version: number;
  updatedAt: string;
}

const list: Command = {
  name: 'list',
  summary: 'list profiles',
  usage: `usage: fenestra profiles list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Profile[]>('GET', '/api/v1/profiles');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['ID', (r) => r.id],
        ['NAME', (r) => r.name],
        ['KIND', (r) => r.kind],
        ['SCOPE', (r) => r.scope],
        ['VERSION', (r) => r.version],
        ['UPDATED', (r) => r.updatedAt],
      ]),
    );
    return 0;
  },
};

const show: Command = {
  name: 'show',
  summary: 'one profile with its settings (secrets masked) and assignments',
  usage: `usage: fenestra profiles show ID [--status] [--json]

  --status   also where it stands on devices (GET /profiles/ID/status)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, status: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(p) {
    const api = apiClient(p);
    const id = encodeURIComponent(p.positionals[0]);
    const prof = await api.call<Row>('GET', `/api/v1/profiles/${id}`);
    const out = flag(p, 'status') ? { ...prof, status: await api.call<Row>('GET', `/api/v1/profiles/${id}/status`) } : prof;
    print(flag(p, 'json'), out, () => record({ ...out, settings: undefined }) + `settings: ${JSON.stringify(prof.settings, null, 2)}\n`);
    return 0;
  },
};

const create: Command = {
  name: 'create',
  summary: 'create a profile from a YAML or JSON file',
  usage: `usage: fenestra profiles create -f FILE [--json]

Creates a profile from FILE (YAML or JSON; - for standard input) holding
{name, kind, scope, settings}: the body of POST /api/v1/profiles (schemas/profiles/<kind>.schema.json).
To keep profiles and their assignments in a file and apply changes, see fenestra apply.

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, file: { type: 'string', short: 'f' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const file = str(p, 'file');
    if (!file) throw new UsageError('-f FILE is required');
    const body = (await import('./file-input.js')).readDocument(file);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${file}: a profile is an object {name, kind, scope, settings}`);
    const r = await apiClient(p).call<Profile>('POST', '/api/v1/profiles', body);
    print(flag(p, 'json'), r, () => `created profile ${r.name} (${r.id}, ${r.kind}, ${r.scope} scope)\n`);
    return 0;
  },
};

export const profilesGroup: CommandGroup = { name: 'profiles', summary: 'list, show and create configuration profiles', commands: [list, show, create] };
