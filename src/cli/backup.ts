// `fenestra backup <dir>`: what a restore needs, copied while the server runs (ops/backup.ts).
import type { Command } from './command.js';
import { io } from './io.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'copy what a restore needs into a new directory while the server runs',
  usage: `usage: fenestra backup <new directory>

Copies into a new directory (created owner-only) what a restore needs while the server runs: a
consistent snapshot of the SQLite database, the secret key, the device CA (and the generated TLS
certificate and admin token). Reads the same FENESTRA_* environment as serve. With PostgreSQL,
back the database up with pg_dump: only the key files are copied.
`,
  options: {},
  positionals: { min: 1, max: 1, names: '<new directory>' },
  run: async (p) => {
    // Loaded only to run: --help needs neither the configuration nor SQLite.
    const [{ loadConfig }, { backup }] = await Promise.all([import('../config.js'), import('../ops/backup.js')]);
    const cfg = loadConfig(io().env);
    if (cfg.database.kind === 'postgres')
      io().stderr.write('fenestra backup: the database is PostgreSQL: back it up with pg_dump; copying the key files only\n');
    const r = backup(cfg, p.positionals[0]);
    io().stdout.write(`fenestra backup: ${r.files.join(', ')} → ${r.dir}${r.databaseBytes !== undefined ? ` (database ${r.databaseBytes} bytes)` : ''}\n`);
    return 0;
  },
};
