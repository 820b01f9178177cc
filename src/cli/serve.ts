// `fenestra serve`: the server, configured by FENESTRA_* environment variables only.
import type { Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the MDM server (the default command)',
  usage: `usage: fenestra serve

Starts the MDM server. It takes no options: it is configured by FENESTRA_* environment variables
(README, "Configuration"): FENESTRA_PUBLIC_URL, FENESTRA_LISTEN, FENESTRA_DATA_DIR,
FENESTRA_CERTS_DIR, FENESTRA_DATABASE_URL, FENESTRA_ADMIN_TOKEN, FENESTRA_TLS_CERT/KEY, ...
Once listening it prints where devices enroll, the CA file to trust and where the admin token is.
`,
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  run: async () => (await import('./serve-run.js')).serve(),
};
