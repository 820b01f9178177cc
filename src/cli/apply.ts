// `fenestra apply -f FILE`: tenants, groups and profiles (with assignments) kept in a file, made
// so on the server; the changes are printed first, --dry-run prints only (src/ops/apply/).
import { ApiCallError, apiClient, connection, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import { flag, str, UsageError } from './args.js';
import type { Command } from './command.js';
import { io } from './io.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'make tenants, groups, profiles and assignments what a YAML/JSON file says (--dry-run to preview)',
  usage: `usage: fenestra apply -f FILE [--dry-run] [--prune] [--state FILE]

Reads FILE (YAML or JSON), compares it with the server, prints the changes, then makes them:
  tenants:   - {tenantId, audiences, cloud?, enrollmentUrl?, remediationUrl?}      matched by tenantId
  groups:    - {name, kind: user|device, members?: [...]}                           matched by name
  profiles:  - {name, kind, scope, settings, assignments?: [all | {user: UPN|oid}
                | {group: NAME} | {device: ID|DeviceID}
                | {entraGroup: OBJECT-ID, tenantId?}]}                             matched by name
A list given (members, assignments) is the whole list: others are removed. A list left out is
left alone. Objects the file does not mention are kept, unless --prune deletes them (only in the
sections the file has). A group's kind and a profile's kind and scope cannot change.

Secrets in settings (passwords, keys) come back from the server masked: apply keeps a fingerprint
of each secret it applied in the state file (HMAC keyed by the admin token; no secret in it), so an
unchanged secret shows no change. Without it, secrets count as changed and are written again.

  -f, --file FILE  the file (- for standard input)
  --dry-run        print the changes only
  --prune          also delete what the file's sections do not mention
  --state FILE     the secret fingerprints (default FILE.state.json beside the file; commit it with it)

${CONNECTION_HELP}`,
  options: {
    ...CONNECTION_OPTIONS,
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
    prune: { type: 'boolean' },
    state: { type: 'string' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const file = str(p, 'file');
    if (!file) throw new UsageError('-f FILE is required');
    // The YAML parser and the schema validator load when apply runs, not for every command.
    const [{ readDocument }, { execute, plan }, { loadState, saveState }, { readablePath, readSpec, SpecError }] = await Promise.all([
      import('./file-input.js'),
      import('../ops/apply/plan.js'),
      import('../ops/apply/secrets.js'),
      import('../ops/apply/spec.js'),
    ]);
    let spec;
    try {
      spec = readSpec(readDocument(file));
    } catch (err) {
      if (err instanceof SpecError) {
        io().stderr.write(`fenestra apply: ${file} is not valid:\n${err.message.replace(/^/gm, '  ')}\n`);
        return 1;
      }
      throw err;
    }
    const stateFile = str(p, 'state') ?? (file === '-' ? undefined : `${file}.state.json`);
    const state = stateFile ? loadState(stateFile) : { profiles: {} };
    const api = apiClient(p);
    let planned;
    try {
      planned = await plan(api, spec, { prune: flag(p, 'prune'), token: connection(p).token, state });
    } catch (err) {
      if (err instanceof SpecError) {
        io().stderr.write(`fenestra apply: ${file} cannot be applied:\n${err.message.replace(/^/gm, '  ')}\n`);
        return 1;
      }
      throw err;
    }
    const dry = flag(p, 'dry-run');
    if (planned.changes.length === 0) {
      io().stdout.write('no changes\n');
    } else {
      io().stdout.write(`${dry ? 'would change' : 'changes'} (${planned.changes.length}):\n`);
      for (const c of planned.changes) io().stdout.write(`  ${c.op} ${c.text}\n`);
      if (dry) return 0;
      let done = 0;
      try {
        await execute(api, planned, () => done++);
      } catch (err) {
        // What ran stays applied; running apply again plans from there.
        const c = planned.changes[done];
        io().stderr.write(`fenestra apply: stopped at change ${done + 1} (${c.op} ${c.text}); ${done} applied\n`);
        // The API's pointer is into the request body: the same place under the file's object.
        if (err instanceof ApiCallError && c.at) {
          const where = readablePath(c.at + (err.pointer && c.bodyIsFileObject ? err.pointer : ''));
          io().stderr.write(`fenestra apply: the server refused ${where}: ${err.status} ${err.code}: ${err.detail}\n`);
          return 1;
        }
        throw err;
      }
      io().stdout.write(`applied ${planned.changes.length} change${planned.changes.length === 1 ? '' : 's'}\n`);
    }
    if (!dry && stateFile) saveState(stateFile, planned.state);
    return 0;
  },
};
