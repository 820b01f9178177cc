// `fenestra admins` and `fenestra tokens` as an operator runs them, against a real server: the
// first owner's set-up link from the data directory (replacing the start-up one), administrators
// and their roles, personal API tokens created, used, listed and revoked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { AdminService } from '../../src/service/admins/service.js';
import { PUBLIC_URL, startTestServer } from '../helpers/server.js';
import { runCli, runCliHere } from '../cli/run-cli.js';

// The one CLI process of this file may build dist/ (bin/fenestra.js), slow on a busy machine.
t.setTimeout(360_000);

const s = await startTestServer();
t.teardown(() => s.close());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-admins-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const caFile = path.join(dir, 'ca.pem');
fs.writeFileSync(caFile, s.caPem);
const url = `https://127.0.0.1:${s.server.port}`;
const conn = (token = s.adminToken) => ['--url', url, '--token', token, '--ca', caFile];
// In this process (runCliHere); the password read from a real standard input runs as its own process.
const cli = (args: string[], o: { token?: string } = {}) => runCliHere([...args, ...conn(o.token)]);
const svc = new AdminService({ store: s.server.store, csrfKey: crypto.randomBytes(32) });
// The server's own environment: the CLI finds the same database.
const serverEnv = {
  FENESTRA_DATA_DIR: path.join(s.dir, 'data'),
  FENESTRA_CERTS_DIR: path.join(s.dir, 'certs'),
  FENESTRA_PUBLIC_URL: PUBLIC_URL,
  FENESTRA_ENV: 'test',
};

t.test('admins setup-link: a fresh link replaces the start-up one; none once an administrator exists', async (t) => {
  const startup = s.server.setupCode!;
  t.equal(await svc.setupCodeValid(startup), true);
  const r = await runCliHere(['admins', 'setup-link'], { env: serverEnv });
  t.equal(r.code, 0, r.stderr);
  const m = /^(https:\/\/\S+)\/console\/setup\?code=([A-Za-z0-9_-]{43})\n\(works once, within 24 hours/.exec(r.stdout);
  t.ok(m, r.stdout);
  t.equal(m![1], PUBLIC_URL, 'under the admin URL');
  t.equal(await svc.setupCodeValid(m![2]), true, 'the new code works');
  t.equal(await svc.setupCodeValid(startup), false, 'the start-up one no longer does');
  await svc.completeSetup(m![2], { username: 'olivia', password: 'correct horse battery' }, '127.0.0.1');
  const again = await runCliHere(['admins', 'setup-link'], { env: serverEnv });
  t.equal(again.code, 1);
  t.match(again.stderr, /an administrator exists already/);
});

t.test('admins create, list, set-role, disable, enable, remove; tokens create, list, use, revoke', async (t) => {
  const created = await runCli(['admins', 'create', 'Hugo', '--role', 'helpdesk', '--password-file', '-', ...conn()], {
    cwd: dir,
    input: 'a long enough password\n',
  });
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^created administrator Hugo \(helpdesk\)/);
  const short = await cli(['admins', 'create', 'ada', '--role', 'admin', '--password', 'short']);
  t.equal(short.code, 1);
  t.match(short.stderr, /400 invalid at \/password: password: at least 12 characters/);
  t.equal((await cli(['admins', 'create', 'eve@contoso.com', '--role', 'read-only', '--entra-only'])).code, 0);
  const list = await cli(['admins', 'list']);
  t.match(list.stdout, /^USERNAME\s+ROLE\s+STATE\s+SIGN-IN\s+LAST SIGN-IN\s+ID\n/);
  t.match(list.stdout, /eve@contoso\.com\s+read-only\s+enabled\s+-\s/);
  t.match(list.stdout, /Hugo\s+helpdesk\s+enabled\s+password\s/);
  t.match((await cli(['admins', 'set-role', 'hugo', 'admin'])).stdout, 'administrator Hugo (admin)\n');
  const last = await cli(['admins', 'set-role', 'olivia', 'admin']);
  t.equal(last.code, 1);
  t.match(last.stderr, /409 last_owner: olivia is the last owner/);

  const tok = await cli(['tokens', 'create', 'deploy', '--for', 'hugo', '--role', 'helpdesk', '--expires-in-days', '30']);
  t.equal(tok.code, 0, tok.stderr);
  const secret = tok.stdout.split('\n')[0];
  t.match(secret, /^fen_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
  t.match(tok.stdout, /API token deploy of Hugo, role helpdesk; shown once/);
  const mine = await cli(['tokens', 'list'], { token: secret });
  t.equal(mine.code, 0, mine.stderr);
  t.match(mine.stdout, new RegExp(`fen_${secret.slice(4, 12)}_…\\s+deploy\\s+Hugo\\s+helpdesk\\s+active`));
  t.notOk(mine.stdout.includes(secret), 'never the secret again');
  const all = await cli(['tokens', 'list', '--all'], { token: secret });
  t.equal(all.code, 1, 'everyone’s tokens: owner only');
  t.match(all.stderr, /403 forbidden: helpdesk cannot admins\.manage/);
  const groups = await cli(['groups', 'create', 'Sales', '--kind', 'user'], { token: secret });
  t.match(groups.stderr, /403 forbidden: helpdesk cannot groups\.write/, 'a helpdesk token cannot create a group');

  t.match((await cli(['admins', 'disable', 'hugo'])).stdout, 'administrator Hugo (admin, disabled)\n');
  t.match((await cli(['tokens', 'list'], { token: secret })).stderr, /401 unauthorized/, 'a disabled administrator’s token stops');
  t.equal((await cli(['admins', 'enable', 'hugo'])).code, 0);
  const revoked = await cli(['tokens', 'revoke', secret.slice(0, 12)], { token: secret });
  t.equal(revoked.code, 0, revoked.stderr);
  t.match(revoked.stdout, /^revoked API token deploy/);
  t.match((await cli(['tokens', 'list'], { token: secret })).stderr, /401 unauthorized/);
  t.match((await cli(['admins', 'remove', 'hugo'])).stdout, 'removed administrator Hugo\n');
  const entries = (await s.admin('GET', '/api/v1/audit?limit=30')).json.entries as { actor: string; action: string }[];
  t.ok(
    entries.some((e) => e.action === 'token.revoke' && e.actor === 'Hugo (token deploy)'),
    'the audit names the person and the token',
  );
});
