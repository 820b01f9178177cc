// `fenestra fleet summary`: the fleet at a glance (GET /api/v1/fleet/summary).
import { flag } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { print, record, type Row } from './output.js';

const summary: Command = {
  name: 'summary',
  summary: 'devices by OS build, edition, enrollment type, state and last check-in; stale devices',
  usage: `usage: fenestra fleet summary [--json]

Counts of devices by OS build, edition, enrollment type, state and last-seen bucket, and the
stale ones under the stale-device policy (fenestra devices list --stale lists them).

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const s = await apiClient(p).call<Row>('GET', '/api/v1/fleet/summary');
    // The edition codes repeat the edition names: left to --json.
    print(flag(p, 'json'), s, () => record({ ...s, byEditionCode: undefined }));
    return 0;
  },
};

export const fleetGroup: CommandGroup = { name: 'fleet', summary: 'the fleet summary', commands: [summary] };
