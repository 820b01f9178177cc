// --help on every command answers with its usage and does nothing else: no file, no directory,
// no listening server; --version; help <command>; unknown commands and options exit 2.
// Most command lines run inside this process (runCliHere); those where the process matters —
// a command that would create files in its working directory or keep running, the exit status —
// run as their own processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli, runCliHere } from './run-cli.js';

// The first CLI run may build dist/ (bin/fenestra.js), slow on a busy machine.
t.setTimeout(360_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-help-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
// What serve or backup would create if they ran: data, certificates, a backup directory.
const env = {
  FENESTRA_DATA_DIR: path.join(dir, 'data'),
  FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
  FENESTRA_LISTEN: '127.0.0.1:0',
  FENESTRA_LOG_LEVEL: 'warn',
};
const listing = () => fs.readdirSync(dir, { recursive: true });

const COMMANDS = [
  ['serve'],
  ['backup'],
  ['apply'],
  ['devices', 'list'],
  ['devices', 'show'],
  ['devices', 'commands'],
  ['devices', 'queue'],
  ['fleet', 'summary'],
  ['tenants', 'list'],
  ['tenants', 'add'],
  ['tenants', 'remove'],
  ['accounts', 'list'],
  ['accounts', 'add'],
  ['accounts', 'remove'],
  ['profiles', 'list'],
  ['profiles', 'show'],
  ['profiles', 'create'],
  ['groups', 'list'],
  ['groups', 'create'],
  ['groups', 'add-members'],
];

t.test('--help, -h and help <command>: usage on stdout, exit 0, nothing created', async (t) => {
  const cases: string[][] = [];
  COMMANDS.forEach((c, i) => cases.push([...c, '--help'], i % 2 ? ['help', ...c] : [...c, '-h']));
  for (const group of ['devices', 'fleet', 'tenants', 'accounts', 'profiles', 'groups']) cases.push([group, '--help'], ['help', group]);
  // Help wins wherever it stands, before positionals and next to options the command does not know:
  // in their own processes in dir, where a command that ran anyway would leave files or keep running.
  const anywhere = [
    ['backup', '--help', 'somewhere'],
    ['backup', 'somewhere', '--help'],
    ['serve', '--frobnicate', '--help'],
    ['apply', '-f', 'x.yaml', '--help'],
  ];
  const results = await Promise.all(anywhere.map((args) => runCli(args, { env, cwd: dir })));
  for (const args of cases) results.push(await runCliHere(args, { env }));
  results.forEach((r, k) => {
    const args = [...anywhere, ...cases][k];
    const name = args.filter((a) => !a.startsWith('-') && a !== 'help' && a !== 'somewhere' && a !== 'x.yaml').join(' ');
    t.equal(r.code, 0, `${args.join(' ')}: exit 0`) || t.comment(r.stderr);
    t.match(r.stdout, `usage: fenestra ${name}`, `${args.join(' ')}: its usage`);
    t.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
  });
  t.same(listing(), [], 'no file or directory was created (backup --help used to copy the CA key into ./--help)');
});

t.test('serve --help returns at once instead of starting the server', async (t) => {
  // A started server would be killed at runCli's deadline (60 s: a node start takes seconds on a busy machine).
  const r = await runCli(['serve', '--help'], { env, cwd: dir });
  t.equal(r.code, 0);
  t.equal(r.signal, null, 'it exited by itself (a started server would be killed at the deadline)');
  t.match(r.stdout, /FENESTRA_PUBLIC_URL/);
  t.notOk(fs.existsSync(env.FENESTRA_DATA_DIR), 'no data directory');
});

t.test('top-level help and --version', async (t) => {
  const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
  const [v, V, help, h] = await Promise.all([['--version'], ['-V'], ['--help'], ['help']].map((a) => runCliHere(a, { env })));
  t.equal(v.stdout, `fenestra ${version}\n`);
  t.equal(V.stdout, `fenestra ${version}\n`);
  for (const r of [help, h]) {
    t.equal(r.code, 0);
    for (const c of ['serve', 'sim', 'backup', 'apply', 'devices queue', 'groups add-members']) t.match(r.stdout, `  ${c} `, `lists ${c}`);
  }
  t.same(listing(), []);
});

t.test('mistakes: exit 2 with a message naming them, nothing created', async (t) => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['devices'], /usage: fenestra devices <command>/],
    [['devices', 'reboot'], /unknown command "devices reboot" \(one of: list, show, commands, queue\)/],
    [['devices', 'list', '--frobnicate'], /devices list: Unknown option '--frobnicate'/],
    [['devices', 'show'], /devices show: missing argument: ID/],
    [['devices', 'show', 'a', 'b'], /devices show: unexpected argument "b"/],
    [['serve', 'extra'], /serve: unexpected argument "extra"/],
    [['serve', '--port', '1'], /serve: Unknown option '--port'/],
    [['backup'], /backup: missing argument: <new directory>/],
    [['help', 'nothing'], /no such command: nothing/],
    [['devices', 'queue', 'x'], /give one of --action or --raw/],
    [['devices', 'queue', 'x', '--action', 'explode'], /--action must be one of reboot, wipe, retire, sync/],
    [['apply'], /-f FILE is required/],
    [['groups', 'create', 'G', '--kind', 'robot'], /--kind user or --kind device/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCliHere(args, { env })));
  results.forEach((r, i) => {
    t.equal(r.code, 2, `${cases[i][0].join(' ')}: exit 2`);
    t.match(r.stderr, cases[i][1], `${cases[i][0].join(' ')}: says why`);
  });
  const status = await runCli(['devices', 'show'], { env, cwd: dir });
  t.equal(status.code, 2, 'the exit status of the process');
  t.match(status.stderr, /devices show: missing argument: ID\n\(fenestra devices show --help for usage\)\n$/, 'on its stderr, with the usage hint');
  t.same(listing(), []);
});
