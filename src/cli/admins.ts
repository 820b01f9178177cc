// `fenestra admins ...`: the first owner's set-up link (from the data directory, like backup), and
// administrators through the admin API.
import type { Command, CommandGroup } from './command.js';

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
    const cfg = loadConfig();
    const store = await openStore(cfg.database, { timeoutMs: cfg.databaseTimeoutMs });
    const code = await issueSetupCode(store).finally(() => store.close());
    if (!code) {
      process.stderr.write('fenestra admins setup-link: an administrator exists already: sign in to the console, or ask an owner to create your account\n');
      return 1;
    }
    process.stdout.write(`${setupLink(adminBaseUrl(cfg), code)}\n(works once, within 24 hours; earlier links no longer work)\n`);
    return 0;
  },
};

export const adminsGroup: CommandGroup = {
  name: 'admins',
  summary: 'administrators: the first owner’s set-up link',
  commands: [setupLinkCommand],
};
