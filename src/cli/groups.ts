// `fenestra groups ...`: groups of users or devices, the targets of profile assignments.
import { flag, str, UsageError } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { print, table } from './output.js';

interface Group {
  id: string;
  name: string;
  kind: string;
  createdAt: string;
  members?: string[];
}

const list: Command = {
  name: 'list',
  summary: 'list groups',
  usage: `usage: fenestra groups list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Group[]>('GET', '/api/v1/groups');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['ID', (g) => g.id],
        ['NAME', (g) => g.name],
        ['KIND', (g) => g.kind],
        ['CREATED', (g) => g.createdAt],
      ]),
    );
    return 0;
  },
};

const KINDS = ['user', 'device'];

const create: Command = {
  name: 'create',
  summary: 'create a group',
  usage: `usage: fenestra groups create NAME --kind user|device [--member M...] [--json]

  --kind user|device  what the group holds: users (Entra object IDs or UPNs) or devices (our id or DeviceID)
  --member M          a member (repeat for more)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, kind: { type: 'string' }, member: { type: 'string', multiple: true } },
  positionals: { min: 1, max: 1, names: 'NAME' },
  async run(p) {
    const kind = str(p, 'kind');
    if (!kind || !KINDS.includes(kind)) throw new UsageError('--kind user or --kind device is required');
    const members = (p.values.member as string[] | undefined) ?? [];
    const g = await apiClient(p).call<Group>('POST', '/api/v1/groups', { name: p.positionals[0], kind, ...(members.length ? { members } : {}) });
    print(flag(p, 'json'), g, () => `created ${g.kind} group ${g.name} (${g.id}) with ${g.members?.length ?? 0} members\n`);
    return 0;
  },
};

const addMembers: Command = {
  name: 'add-members',
  summary: 'add members to a group',
  usage: `usage: fenestra groups add-members ID MEMBER... [--json]

Adds users (Entra object IDs or UPNs) or devices (our id or DeviceID) to the group ID.

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 2, max: 10_000, names: 'ID MEMBER...' },
  async run(p) {
    const [id, ...members] = p.positionals;
    const g = await apiClient(p).call<Group>('POST', `/api/v1/groups/${encodeURIComponent(id)}/members`, { members });
    print(flag(p, 'json'), g, () => `group ${g.name}: ${g.members?.length ?? 0} members\n`);
    return 0;
  },
};

export const groupsGroup: CommandGroup = { name: 'groups', summary: 'list and create groups, add members', commands: [list, create, addMembers] };
