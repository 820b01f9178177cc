// The admin subcommands against a real server: the CLI process calls the admin API over HTTPS
// with the token and CA it was given (or finds in the data and certificate directories),
// prints tables or --json, and reports a refusal with the field's pointer and exit 1.
// The commands run inside this process (runCliHere) but for one, whose exit status is the process's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';
import { runCli, runCliHere } from './run-cli.js';

// The one CLI process of this file may build dist/ (bin/fenestra.js), slow on a busy machine.
t.setTimeout(360_000);

const s = await startTestServer();
t.teardown(() => s.close());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-admin-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const caFile = path.join(dir, 'ca.pem');
fs.writeFileSync(caFile, s.caPem);
const url = `https://127.0.0.1:${s.server.port}`;
const conn = ['--url', url, '--token', s.adminToken, '--ca', caFile];
const cli = (args: string[], input?: string) => runCliHere([...args, ...conn], { input });

const tid = await s.connectTenant();
const enrolled = await enrollEntraDevice(s, tid);
const deviceId = enrolled.dev.deviceId;
const ourId: string = (await s.admin('GET', '/api/v1/devices')).json.devices[0].id;

t.test('devices list, show, --search, --json', async (t) => {
  const list = await cli(['devices', 'list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^ID\s+DEVICEID\s+STATE\s+USER\s+HOST\s+OS\s+EDITION\s+LAST SEEN\n/);
  t.match(list.stdout, deviceId);
  const json = await cli(['devices', 'list', '--json']);
  t.equal(JSON.parse(json.stdout).devices[0].deviceId, deviceId, '--json prints the API answer');
  t.match((await cli(['devices', 'list', '--search', deviceId.slice(2, 10).toLowerCase()])).stdout, deviceId, 'found by part of its DeviceID');
  t.equal((await cli(['devices', 'list', '--search', 'no-such-device-zzz'])).stdout, '(none)\n');
  // Filters are the server's: a mistake in one is its refusal, naming the parameter.
  const badFilter = await cli(['devices', 'list', '--last-seen-before', 'yesterday']);
  t.equal(badFilter.code, 1);
  t.match(badFilter.stderr, /400 .*lastSeenBefore/);
  const csv = await cli(['devices', 'list', '--csv']);
  t.equal(csv.code, 0, csv.stderr);
  t.match(csv.stdout, deviceId, '--csv prints the CSV export');
  t.equal((await cli(['devices', 'list', '--stale'])).code, 0);
  const summary = await cli(['fleet', 'summary']);
  t.equal(summary.code, 0, summary.stderr);
  t.match(summary.stdout, /^total: 1$/m);
  t.match(summary.stdout, /^stale:\n {2}count: \d+\n {2}staleAfterDays: \d+/m);
  const show = await cli(['devices', 'show', ourId]);
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, `deviceId: ${deviceId}`);
  const missing = await cli(['devices', 'show', 'no-such-device']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /404 not_found/);
});

t.test('devices queue an action and a raw command; devices commands lists them', async (t) => {
  const reboot = await cli(['devices', 'queue', ourId, '--action', 'reboot']);
  t.equal(reboot.code, 0, reboot.stderr);
  t.match(reboot.stdout, /^queued reboot \S+ \(queued\) for /);
  const raw = await cli(['devices', 'queue', ourId, '--raw', '{"verb":"Get","items":[{"target":"./DevDetail/SwV"}]}', '--json']);
  t.equal(raw.code, 0, raw.stderr);
  t.match(JSON.parse(raw.stdout || '{}'), { payload: { kind: 'Get' } }, raw.stdout);
  const cmds = await cli(['devices', 'commands', ourId]);
  t.equal(cmds.code, 0, cmds.stderr);
  t.match(cmds.stdout, /reboot\s+queued/);
  t.match(cmds.stdout, /Get\s+queued/);
  const queued = (await s.admin('GET', `/api/v1/devices/${ourId}/commands`)).json;
  t.ok(
    queued.commands.some((c: { action?: string }) => c.action === 'reboot'),
    'the reboot is in the queue the server keeps',
  );
  // A refusal names the field and exits 1.
  const bad = await cli(['devices', 'queue', ourId, '--raw', '{"verb":"Frobnicate"}']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /the server refused: 400 \S+ at \/verb/);
  const notJson = await cli(['devices', 'queue', ourId, '--raw', '{verb']);
  t.equal(notJson.code, 2);
  t.match(notJson.stderr, /--raw is not JSON/);
});

t.test('tenants, accounts, groups, profiles', async (t) => {
  const other = '0f0f0f0f-1111-2222-3333-444444444444';
  t.equal((await cli(['tenants', 'add', other, '--audience', 'api://x'])).code, 0);
  t.match((await cli(['tenants', 'list'])).stdout, new RegExp(`${other}\\s+standard\\s+api://x`));
  t.equal((await cli(['tenants', 'remove', other])).code, 0);
  t.notMatch((await cli(['tenants', 'list'])).stdout, other);

  const acct = await cli(['accounts', 'add', 'kiosk', '--password-file', '-'], 'a long password\n');
  t.equal(acct.code, 0, acct.stderr);
  t.match((await cli(['accounts', 'list'])).stdout, /kiosk/);
  const short = await cli(['accounts', 'add', 'kiosk2', '--password', 'short']);
  t.equal(short.code, 1);
  t.match(short.stderr, /400 \S+ at \/password/);
  t.equal((await cli(['accounts', 'remove', 'kiosk'])).code, 0);
  t.notMatch((await cli(['accounts', 'list'])).stdout, /kiosk/);

  const badMember = await cli(['groups', 'create', 'Sales', '--kind', 'user', '--member', 'not a user']);
  t.equal(badMember.code, 1);
  t.match(badMember.stderr, /400 invalid at \/members\/0: a user member is an Entra object ID or a UPN/);
  const g = await cli(['groups', 'create', 'Finance', '--kind', 'user', '--member', 'alice@contoso.com', '--json']);
  t.equal(g.code, 0, g.stderr);
  const gid = JSON.parse(g.stdout).id;
  const added = await cli(['groups', 'add-members', gid, 'bob@contoso.com', 'carol@contoso.com']);
  t.match(added.stdout, 'group Finance: 3 members');
  t.match((await cli(['groups', 'list'])).stdout, new RegExp(`${gid}\\s+Finance\\s+user`));

  const file = path.join(dir, 'wifi.yaml');
  fs.writeFileSync(file, 'name: Office\nkind: wifi\nscope: device\nsettings:\n  ssid: Contoso\n  security: WPA2PSK\n  passphrase: correct horse battery\n');
  const created = await cli(['profiles', 'create', '-f', file, '--json']);
  t.equal(created.code, 0, created.stderr);
  const pid = JSON.parse(created.stdout).id;
  t.match((await cli(['profiles', 'list'])).stdout, new RegExp(`${pid}\\s+Office\\s+wifi\\s+device\\s+1`));
  const shown = await cli(['profiles', 'show', pid]);
  t.match(shown.stdout, /"passphrase": "\*+"/, 'the secret stays masked');
  t.notMatch(shown.stdout, /correct horse/);
  fs.writeFileSync(file, '{"name":"Bad","kind":"wifi","scope":"device","settings":{"ssid":"x","security":"nope"}}');
  const refused = await cli(['profiles', 'create', '-f', file]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /400 invalid at \/settings\/security/);
});

t.test('connection: token and CA found in the data and certificate directories; wrong token', async (t) => {
  const data = path.join(dir, 'data');
  const certs = path.join(dir, 'certs');
  fs.mkdirSync(data);
  fs.mkdirSync(certs);
  fs.writeFileSync(path.join(data, 'admin-token'), `${s.adminToken}\n`);
  fs.writeFileSync(path.join(certs, 'ca.pem'), s.caPem);
  const env = { FENESTRA_URL: url, FENESTRA_DATA_DIR: data, FENESTRA_CERTS_DIR: certs };
  const ok = await runCliHere(['tenants', 'list'], { env });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, tid);
  // As its own process, as an operator's shell sees it: the refusal is the exit status 1.
  const wrong = await runCli(['tenants', 'list', '--token', 'x'.repeat(32)], { env, cwd: dir });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /401/);
  // Without the CA the server's certificate is not trusted: said, not ignored.
  const untrusted = await runCliHere(['tenants', 'list'], { env: { ...env, FENESTRA_CERTS_DIR: path.join(dir, 'nothing') } });
  t.equal(untrusted.code, 1);
  t.match(untrusted.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+: .*certificate/i);
  const noToken = await runCliHere(['tenants', 'list'], { env: { ...env, FENESTRA_DATA_DIR: path.join(dir, 'nothing') } });
  t.equal(noToken.code, 2);
  t.match(noToken.stderr, /no admin token/);
});
