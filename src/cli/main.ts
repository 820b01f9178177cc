// The command table and its dispatch: help and version first, each command's options checked
// before it runs, and one exit-code rule (0 done, 1 failed, 2 the command line is wrong).
// The server and the simulator are imported only when they run: help and admin commands start fast.
import fs from 'node:fs';
import { ConfigError } from '../config.js';
import { accountsGroup } from './accounts.js';
import { adminsGroup } from './admins.js';
import { tokensGroup } from './tokens.js';
import { ApiCallError } from './api-client.js';
import { applyCommand } from './apply.js';
import { parse, UsageError } from './args.js';
import { backupCommand } from './backup.js';
import type { Command, CommandGroup } from './command.js';
import { devicesGroup } from './devices.js';
import { fleetGroup } from './fleet.js';
import { groupsGroup } from './groups.js';
import { io, withIo, type CliIo } from './io.js';
import { profilesGroup } from './profiles.js';
import { appsGroup } from './apps.js';
import { serveCommand } from './serve.js';
import { tenantsGroup } from './tenants.js';

const SIM_SUMMARY = 'Windows device simulator: enroll devices, check them in (fenestra sim --help)';
const ENTRIES: (Command | CommandGroup)[] = [
  serveCommand,
  backupCommand,
  devicesGroup,
  fleetGroup,
  tenantsGroup,
  accountsGroup,
  profilesGroup,
  appsGroup,
  groupsGroup,
  applyCommand,
  adminsGroup,
  tokensGroup,
];
const isGroup = (e: Command | CommandGroup): e is CommandGroup => 'commands' in e;

function version(): string {
  // package.json sits two levels up from both src/cli/ and dist/cli/.
  return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function usage(): string {
  const rows: [string, string][] = [];
  for (const e of ENTRIES) {
    if (isGroup(e)) for (const c of e.commands) rows.push([`${e.name} ${c.name}`, c.summary]);
    else rows.push([e.name, e.summary]);
  }
  rows.splice(2, 0, ['sim', SIM_SUMMARY]);
  rows.push(['help [command]', "this help, or a command's (as fenestra <command> --help)"]);
  const w = Math.max(...rows.map(([n]) => n.length));
  return `usage: fenestra <command> [options]

commands:
${rows.map(([n, s]) => `  ${n.padEnd(w)}  ${s}`).join('\n')}

options: --help (any command), --version
Admin commands call the admin API: fenestra <command> --help lists --url, --token, --ca, --json.
`;
}

const groupUsage = (g: CommandGroup) => {
  const w = Math.max(...g.commands.map((c) => c.name.length));
  return `usage: fenestra ${g.name} <command> [options]   (${g.summary})

${g.commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

fenestra ${g.name} <command> --help for its options.
`;
};

const isHelp = (a: string | undefined) => a === '--help' || a === '-h';

/** The help text for `fenestra help <words>`, or undefined for an unknown command. */
function helpFor(words: string[]): string | undefined {
  if (words.length === 0) return usage();
  if (words[0] === 'sim') return undefined;
  const e = ENTRIES.find((x) => x.name === words[0]);
  if (!e) return undefined;
  if (!isGroup(e)) return words.length === 1 ? e.usage : undefined;
  if (words.length === 1) return groupUsage(e);
  return words.length === 2 ? e.commands.find((c) => c.name === words[1])?.usage : undefined;
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return serveCommand.run({ values: {}, positionals: [] });
  if (first === '--version' || first === '-V' || first === 'version') {
    io().stdout.write(`fenestra ${version()}\n`);
    return 0;
  }
  if (isHelp(first)) {
    io().stdout.write(usage());
    return 0;
  }
  if (first === 'help') {
    // The simulator owns its help text.
    if (rest[0] === 'sim') return (await import('../sim/cli.js')).runSim(['--help'], io().stdout);
    const text = helpFor(rest);
    if (text === undefined) throw new UsageError(`no such command: ${rest.join(' ')}`);
    io().stdout.write(text);
    return 0;
  }
  // The simulator parses its own options and answers its own --help.
  if (first === 'sim') return (await import('../sim/cli.js')).runSim(rest, io().stdout);
  const entry = ENTRIES.find((e) => e.name === first);
  if (!entry) throw new UsageError(first.startsWith('-') ? `unknown option ${JSON.stringify(first)}` : `unknown command ${JSON.stringify(first)}`);
  let cmd: Command;
  let args: string[];
  let label = entry.name;
  if (isGroup(entry)) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || isHelp(sub) || sub === 'help') {
      io()[sub === undefined ? 'stderr' : 'stdout'].write(groupUsage(entry));
      return sub === undefined ? 2 : 0;
    }
    const found = entry.commands.find((c) => c.name === sub);
    if (!found) throw new UsageError(`unknown command "${entry.name} ${sub}" (one of: ${entry.commands.map((c) => c.name).join(', ')})`, entry.name);
    cmd = found;
    args = subArgs;
    label = `${entry.name} ${found.name}`;
  } else {
    cmd = entry;
    args = rest;
  }
  try {
    const parsed = parse(args, cmd.options, cmd.positionals);
    if (parsed === 'help') {
      io().stdout.write(cmd.usage);
      return 0;
    }
    return await cmd.run(parsed);
  } catch (err) {
    if (err instanceof UsageError && !err.command) throw new UsageError(`${label}: ${err.message}`, label);
    throw err;
  }
}

/**
 * Runs the command line; resolves to the exit code, -1 for a server left running. Given `cli`, the
 * commands write to its streams and read its standard input and environment instead of the
 * process's: a caller runs commands inside its own process (serve still takes the process's).
 */
export async function main(argv: string[], cli?: CliIo): Promise<number> {
  if (cli) return withIo(cli, () => main(argv));
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io().stderr.write(`fenestra: ${err.message}\n(fenestra ${err.command ? `${err.command} ` : ''}--help for usage)\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io().stderr.write(`fenestra: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiCallError) {
      io().stderr.write(`fenestra: the server refused: ${err.message}\n`);
      return 1;
    }
    io().stderr.write(`fenestra: ${(err as Error).message}\n`);
    return 1;
  }
}
