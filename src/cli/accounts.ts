// `fenestra accounts ...`: enrollment accounts (on-premise enrollment with a user name and password).
import fs from 'node:fs';
import { flag, str, UsageError } from './args.js';
import { apiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './api-client.js';
import type { Command, CommandGroup } from './command.js';
import { io } from './io.js';
import { print, table } from './output.js';

interface Account {
  username: string;
  createdAt?: string;
}

const list: Command = {
  name: 'list',
  summary: 'list enrollment accounts',
  usage: `usage: fenestra accounts list [--json]

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(p) {
    const rows = await apiClient(p).call<Account[]>('GET', '/api/v1/enrollment-accounts');
    print(flag(p, 'json'), rows, () =>
      table(rows, [
        ['USERNAME', (a) => a.username],
        ['CREATED', (a) => a.createdAt],
      ]),
    );
    return 0;
  },
};

/** The password from a file (or - for standard input), so that it stays out of the shell history and `ps`. */
export function password(file: string | undefined, inline: string | undefined): string {
  if (file !== undefined && inline !== undefined) throw new UsageError('give --password or --password-file, not both');
  if (inline !== undefined) return inline;
  if (file === undefined) throw new UsageError('--password-file FILE (or - for standard input) is required');
  try {
    return (file === '-' ? io().stdin() : fs.readFileSync(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(`cannot read --password-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const add: Command = {
  name: 'add',
  summary: 'create an enrollment account',
  usage: `usage: fenestra accounts add USERNAME (--password-file FILE | --password PASSWORD) [--json]

Creates an enrollment account for on-premise enrollment (at least 8 characters of password).
  --password-file FILE  read the password from FILE (- for standard input); its last newline is dropped
  --password PASSWORD   the password on the command line (visible to other local users in ps)

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, password: { type: 'string' }, 'password-file': { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'USERNAME' },
  async run(p) {
    const pw = password(str(p, 'password-file'), str(p, 'password'));
    const a = await apiClient(p).call<Account>('POST', '/api/v1/enrollment-accounts', { username: p.positionals[0], password: pw });
    print(flag(p, 'json'), a, () => `created enrollment account ${a.username}\n`);
    return 0;
  },
};

const remove: Command = {
  name: 'remove',
  summary: 'delete an enrollment account',
  usage: `usage: fenestra accounts remove USERNAME

${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  positionals: { min: 1, max: 1, names: 'USERNAME' },
  async run(p) {
    await apiClient(p).call('DELETE', `/api/v1/enrollment-accounts/${encodeURIComponent(p.positionals[0])}`);
    io().stdout.write(`removed enrollment account ${p.positionals[0]}\n`);
    return 0;
  },
};

export const accountsGroup: CommandGroup = { name: 'accounts', summary: 'list, create and delete enrollment accounts', commands: [list, add, remove] };
