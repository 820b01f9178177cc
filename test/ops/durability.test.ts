// Durability of an acknowledged enrollment: on SQLite the enrollment's commit is synced to disk
// (the WAL is fsynced) before the device is answered, so it survives power loss and OS crashes,
// not only a process kill. Observed with strace on a real server process; skipped, saying so,
// where strace is missing or may not attach.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { startChildServer } from '../helpers/child-server.js';

const CRED = { kind: 'password' as const, username: 'durable@contoso.com', password: 'durable-password-1' };

const probe = spawnSync('strace', ['-e', 'trace=none', '-o', '/dev/null', 'true']);
const skip = probe.error || probe.status !== 0 ? 'strace is not available or may not trace here' : false;

/** Sync calls made by `pid` (all threads) while `fn` runs, with the path of each file synced. */
async function syncsDuring(pid: number, fn: () => Promise<void>): Promise<string[]> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-strace-')), 'log');
  const st = spawn('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync,sync_file_range', '-o', out, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // strace says on stderr when it has attached to the threads.
  await new Promise<void>((resolve, reject) => {
    st.once('exit', (code) => reject(new Error(`strace exited (${code})`)));
    st.stderr!.on('data', (d) => void (/attached/.test(String(d)) && resolve()));
  });
  try {
    await fn();
  } finally {
    const done = new Promise((r) => st.once('exit', r));
    st.kill('SIGINT');
    await done;
  }
  const log = fs.readFileSync(out, 'utf8');
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return log.split('\n').filter((l) => /sync/.test(l));
}

t.test('an acknowledged enrollment was synced to disk', { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-durable-'));
  const s = await startChildServer({ dir });
  t.teardown(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const device = () => SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, credential: CRED });
  await (await device()).enroll(); // the database and its WAL exist
  const d = await device();
  const syncs = await syncsDuring(s.child.pid!, async () => {
    await d.enroll();
  });
  t.ok(
    syncs.some((l) => /fenestra\.db-wal>/.test(l)),
    `the WAL was synced during the enrollment:\n${syncs.join('\n')}`,
  );
});
