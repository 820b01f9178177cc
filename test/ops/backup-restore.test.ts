// `fenestra backup` while the server serves a check-in storm, then a restore into a new data and
// certificate directory: the devices, their certificates (CA key), their queued commands and
// the profile secrets (secret key) all come back.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { DIST } from '../cli/run-cli.js';

const CRED = { kind: 'password' as const, username: 'backup@contoso.com', password: 'backup-password-1' };

function runBackup(s: ChildServer, dir: string, dest: string): Promise<{ code: number | null; out: string }> {
  // The built CLI, as the server (startChildServer built it).
  const child = spawn(process.execPath, [DIST, 'backup', dest], {
    env: {
      ...process.env,
      FENESTRA_PUBLIC_URL: s.url,
      FENESTRA_DATA_DIR: path.join(dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: s.token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((r) => child.once('exit', (code) => r({ code, out })));
}

t.test('backup while serving, restore elsewhere', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-backup-'));
  const dir = path.join(root, 'live');
  const s = await startChildServer({ dir });
  let restored: ChildServer | undefined;
  t.teardown(async () => {
    for (const x of [s, restored]) {
      x?.child.kill('SIGKILL');
      if (x) await x.exited;
    }
    fs.rmSync(root, { recursive: true, force: true });
  });
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const wifi = await s.admin('POST', '/api/v1/profiles', {
    name: 'Office',
    kind: 'wifi',
    scope: 'device',
    settings: { ssid: 'Office', security: 'WPA2PSK', passphrase: 'backup horse battery' },
  });
  t.equal(wifi.status, 201);
  const devs = await Promise.all(Array.from({ length: 3 }, () => SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, credential: CRED })));
  for (const d of devs) await d.enroll();
  const cmd = await s.admin('POST', `/api/v1/devices/${devs[0].deviceId}/commands`, {
    verb: 'Add',
    items: [{ target: './Device/Vendor/MSFT/Policy/Config/Backup/Queued', format: 'int', data: '1' }],
  });
  t.equal(cmd.status, 201);

  // Check-ins keep writing while the backup runs.
  let stop = false;
  const storm = Promise.all(
    devs.slice(1).map(async (d) => {
      let n = 0;
      while (!stop) {
        await d.checkin();
        n++;
      }
      return n;
    }),
  );
  const dest = path.join(root, 'backup');
  const b = await runBackup(s, dir, dest);
  stop = true;
  const sessions = (await storm).reduce((a, n) => a + n, 0);
  t.equal(b.code, 0, b.out);
  t.ok(sessions > 0, `${sessions} sessions ran during the backup`);
  t.same(fs.readdirSync(dest).sort(), ['ca-key.pem', 'ca.pem', 'fenestra.db', 'secret.key', 'tls-key.pem', 'tls.pem']);
  t.notOk(b.out.includes('backup horse'), 'nothing secret printed');
  t.equal((await runBackup(s, dir, dest)).code, 1, 'refuses to write into a non-empty directory');

  // Assignment made after the backup: not in the restore.
  t.equal((await s.admin('POST', `/api/v1/profiles/${wifi.json.id}/assignments`, { targetType: 'all' })).status, 201);

  // Restore: the database and key into a new data directory, the CA and TLS files into a new certs directory.
  const rdir = path.join(root, 'restored');
  fs.mkdirSync(path.join(rdir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(rdir, 'certs'), { recursive: true });
  for (const f of ['fenestra.db', 'secret.key']) fs.copyFileSync(path.join(dest, f), path.join(rdir, 'data', f));
  for (const f of ['ca.pem', 'ca-key.pem', 'tls.pem', 'tls-key.pem']) fs.copyFileSync(path.join(dest, f), path.join(rdir, 'certs', f));
  s.child.kill('SIGKILL');
  await s.exited;
  restored = await startChildServer({ dir: rdir, port: s.port, token: s.token });
  const list = (await restored.admin('GET', '/api/v1/devices')).json;
  t.equal(list.total, 3, 'every device is in the restored store');
  const queued = (await restored.admin('GET', `/api/v1/devices/${devs[0].deviceId}/commands`)).json.commands.find((c: any) => c.id === cmd.json.id);
  t.equal(queued?.state, 'queued', 'the queued command came back');
  // The profile was not assigned in the backup: assign it again, then a device gets the real
  // passphrase (the secret key was restored) with its old certificate (so was the CA).
  t.equal((await restored.admin('POST', `/api/v1/profiles/${wifi.json.id}/assignments`, { targetType: 'all' })).status, 201);
  const r = await devs[0].checkin();
  t.equal(r.outcome, 'complete', r.error ?? 'session complete');
  t.ok(
    r.commands.some((c) => c.targets.includes('./Device/Vendor/MSFT/Policy/Config/Backup/Queued')),
    'the queued command is delivered',
  );
  t.match(
    devs[0].tree.read('./Device/Vendor/MSFT/WiFi/Profile/Office/WlanXml')?.data ?? '',
    /backup horse battery/,
    'the sealed passphrase opens with the restored key',
  );
});
