// `fenestra tenants ...`: the Entra tenants whose users and devices may enroll.
import { flag, str, UsageError } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { io } from './io.js';
import { print, table } from './output.js';

interface Tenant {
  tenantId: string;
  cloud: string;
  audiences: string[];
  createdAt?: string;
}

const list: Command = {
  name: 'list',
  summary: 'list connected tenants',
  usage: `usage: fenestra tenants list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Tenant[]>('GET', '/api/v1/tenants');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['TENANT', (t) => t.tenantId],
        ['CLOUD', (t) => t.cloud],
        ['AUDIENCES', (t) => t.audiences],
        ['CONNECTED', (t) => t.createdAt],
      ]),
    );
    return 0;
  },
};

const add: Command = {
  name: 'add',
  summary: 'connect an Entra tenant',
  usage: `usage: fenestra tenants add TENANT_ID --audience AUD [--audience AUD...] [--cloud standard|gcc-high] [--json]

Connects an Entra tenant: its users' tokens are accepted when their audience is one of AUD (the
MDM application's ID URI and/or its client ID).

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, audience: { type: 'string', multiple: true }, cloud: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'TENANT_ID' },
  async run(p) {
    const audiences = (p.values.audience as string[] | undefined) ?? [];
    if (audiences.length === 0) throw new UsageError('--audience is required (the MDM app ID URI or client ID)');
    const t = await apiClient(p).call<Tenant>('POST', '/api/v1/tenants', { tenantId: p.positionals[0], cloud: str(p, 'cloud') ?? 'standard', audiences });
    print(flag(p, 'json'), t, () => `connected tenant ${t.tenantId} (${t.cloud})\n`);
    return 0;
  },
};

const remove: Command = {
  name: 'remove',
  summary: 'disconnect a tenant',
  usage: `usage: fenestra tenants remove TENANT_ID [--revoke-devices]

Disconnects a tenant: new enrollments and user tokens of it are refused. Its enrolled devices stay
managed by certificate unless --revoke-devices revokes them too.

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, 'revoke-devices': { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'TENANT_ID' },
  async run(p) {
    const q = flag(p, 'revoke-devices') ? '?revokeDevices=true' : '';
    await apiClient(p).call('DELETE', `/api/v1/tenants/${encodeURIComponent(p.positionals[0])}${q}`);
    io().stdout.write(`disconnected tenant ${p.positionals[0]}\n`);
    return 0;
  },
};

export const tenantsGroup: CommandGroup = { name: 'tenants', summary: 'list, connect and disconnect Entra tenants', commands: [list, add, remove] };
