// `fenestra admins ...`: the first owner's set-up link (from the data directory, like backup), and
// administrators through the admin API (owner).
import { password } from './accounts.js';
import { flag, str, UsageError } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS, type ApiClient } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { io } from './io.js';
import { print, table } from './output.js';

interface Admin {
  id: string;
  username: string;
  displayName?: string;
  role: string;
  disabled: boolean;
  passwordSet: boolean;
  externalIssuer?: string;
  createdAt: string;
  lastSignInAt?: string;
}

const ROLES = ['read-only', 'helpdesk', 'admin', 'owner'];

/** The administrator a command names: by user name (any case) or id. */
export async function findAdmin(api: ApiClient, who: string): Promise<Admin> {
  const all = await api.call<Admin[]>('GET', '/api/v1/admins');
  const found = all.find((a) => a.id === who || a.username.toLowerCase() === who.toLowerCase());
  if (!found) throw new UsageError(`no administrator ${JSON.stringify(who)} (fenestra admins list)`);
  return found;
}

const describe = (a: Admin) => `${a.username} (${a.role}${a.disabled ? ', disabled' : ''})`;

const list: Command = {
  name: 'list',
  summary: 'list administrators',
  usage: `usage: fenestra admins list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Admin[]>('GET', '/api/v1/admins');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['USERNAME', (a) => a.username],
        ['ROLE', (a) => a.role],
        ['STATE', (a) => (a.disabled ? 'disabled' : 'enabled')],
        ['SIGN-IN', (a) => [a.passwordSet ? 'password' : '', a.externalIssuer ? 'entra' : ''].filter(Boolean).join('+') || '-'],
        ['LAST SIGN-IN', (a) => a.lastSignInAt ?? '-'],
        ['ID', (a) => a.id],
      ]),
    );
    return 0;
  },
};

const create: Command = {
  name: 'create',
  summary: 'create an administrator',
  usage: `usage: fenestra admins create USERNAME --role ROLE (--password-file FILE | --password PASSWORD | --entra-only) [--display-name NAME] [--json]

  --role ROLE           read-only, helpdesk, admin or owner
  --password-file FILE  read the password (12+ characters) from FILE (- for standard input)
  --password PASSWORD   the password on the command line (visible to other local users in ps)
  --entra-only          no password: the administrator signs in with Entra ID (same user name)
  --display-name NAME   the name the console shows

${CONNECTION_HELP}`,
  options: {
    ...CONNECTION_OPTIONS,
    role: { type: 'string' },
    password: { type: 'string' },
    'password-file': { type: 'string' },
    'entra-only': { type: 'boolean' },
    'display-name': { type: 'string' },
  },
  positionals: { min: 1, max: 1, names: 'USERNAME' },
  async run(p) {
    const role = str(p, 'role');
    if (!role || !ROLES.includes(role)) throw new UsageError(`--role is required: one of ${ROLES.join(', ')}`);
    const entraOnly = flag(p, 'entra-only');
    if (entraOnly && (str(p, 'password') !== undefined || str(p, 'password-file') !== undefined)) throw new UsageError('--entra-only takes no password');
    const body: Record<string, string> = { username: p.positionals[0], role };
    if (!entraOnly) body.password = password(str(p, 'password-file'), str(p, 'password'));
    const displayName = str(p, 'display-name');
    if (displayName) body.displayName = displayName;
    const a = await apiClient(p).call<Admin>('POST', '/api/v1/admins', body);
    print(flag(p, 'json'), a, () => `created administrator ${describe(a)} (${a.id})\n`);
    return 0;
  },
};

/** A command that changes one field of an administrator named by user name or id. */
function change(name: string, summary: string, usage: string, positionals: number, body: (p: string[]) => Record<string, unknown>): Command {
  return {
    name,
    summary,
    usage: `${usage}\n\n${CONNECTION_HELP}`,
    options: CONNECTION_OPTIONS,
    positionals: { min: positionals, max: positionals, names: positionals === 2 ? 'USERNAME ROLE' : 'USERNAME' },
    async run(p) {
      const api = apiClient(p);
      const who = await findAdmin(api, p.positionals[0]);
      const a = await api.call<Admin>('PATCH', `/api/v1/admins/${encodeURIComponent(who.id)}`, body(p.positionals));
      print(flag(p, 'json'), a, () => `administrator ${describe(a)}\n`);
      return 0;
    },
  };
}

const setRole = change(
  'set-role',
  "change an administrator's role",
  `usage: fenestra admins set-role USERNAME ROLE [--json]

ROLE: read-only, helpdesk, admin or owner. The last enabled owner cannot be demoted.`,
  2,
  ([, role]) => {
    if (!ROLES.includes(role)) throw new UsageError(`ROLE must be one of ${ROLES.join(', ')}`);
    return { role };
  },
);

const disable = change(
  'disable',
  'disable an administrator (ends their sessions, stops their API tokens)',
  `usage: fenestra admins disable USERNAME [--json]

Ends the administrator's console sessions at once; their API tokens stop working until they are
enabled again. The last enabled owner cannot be disabled.`,
  1,
  () => ({ disabled: true }),
);

const enable = change('enable', 'enable a disabled administrator again', 'usage: fenestra admins enable USERNAME [--json]', 1, () => ({ disabled: false }));

const remove: Command = {
  name: 'remove',
  summary: 'remove an administrator with their API tokens',
  usage: `usage: fenestra admins remove USERNAME

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 1, max: 1, names: 'USERNAME' },
  async run(p) {
    const api = apiClient(p);
    const who = await findAdmin(api, p.positionals[0]);
    await api.call('DELETE', `/api/v1/admins/${encodeURIComponent(who.id)}`);
    io().stdout.write(`removed administrator ${who.username}\n`);
    return 0;
  },
};

const setupLinkCommand: Command = {
  name: 'setup-link',
  summary: 'print a new one-time link that creates the first owner (while there is no administrator)',
  usage: `usage: fenestra admins setup-link

While no administrator exists, prints a fresh one-time link to the console's set-up page, where
the first owner chooses a user name and password. The link works once, for 24 hours, and replaces
any earlier one (the one serve printed at start-up, for instance). For a container whose start-up
output is gone. Reads the same FENESTRA_* environment as serve (the database, FENESTRA_PUBLIC_URL,
FENESTRA_ADMIN_LISTEN); the server may be running.
`,
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  run: async () => {
    // Loaded only to run: --help needs neither the configuration nor the database.
    const [{ loadConfig }, { openStore }, { issueSetupCode, setupLink }, { adminBaseUrl }] = await Promise.all([
      import('../config.js'),
      import('../store/open.js'),
      import('../service/admins/setup.js'),
      import('./banner.js'),
    ]);
    const cfg = loadConfig(io().env);
    const store = await openStore(cfg.database, { timeoutMs: cfg.databaseTimeoutMs });
    const code = await issueSetupCode(store).finally(() => store.close());
    if (!code) {
      io().stderr.write('fenestra admins setup-link: an administrator exists already: sign in to the console, or ask an owner to create your account\n');
      return 1;
    }
    io().stdout.write(`${setupLink(adminBaseUrl(cfg), code)}\n(works once, within 24 hours; earlier links no longer work)\n`);
    return 0;
  },
};

export const adminsGroup: CommandGroup = {
  name: 'admins',
  summary: 'administrators (owner), and the first owner’s set-up link',
  commands: [list, create, setRole, disable, enable, remove, setupLinkCommand],
};
