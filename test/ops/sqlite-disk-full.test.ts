// SQLite on a full disk: a real server process keeps its database on a small tmpfs that is then
// filled up while devices check in and enroll. The process never exits (the write-behind flush
// fails and keeps its buffer); /readyz says 503 while writes fail; enrollments and check-ins
// are refused with 503 + Retry-After; once space is freed everything works again without a
// restart. Needs mount(8) with tmpfs (root): skipped, saying so, where that is not permitted.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice, SimError } from '../../src/sim/device.js';
import { startChildServer } from '../helpers/child-server.js';

const CRED = { kind: 'password' as const, username: 'full@contoso.com', password: 'full-password-1' };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-diskfull-'));
const mnt = path.join(dir, 'tmpfs');
fs.mkdirSync(mnt);
let skip: string | false = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
} catch (err) {
  fs.rmSync(dir, { recursive: true, force: true });
  skip = `a small tmpfs cannot be mounted here (${String((err as Error).message).split('\n')[0]}): run as root to test a full disk`;
}

t.test('database on a full disk', { skip }, async (t) => {
  const s = await startChildServer({ dir, env: { FENESTRA_DATA_DIR: mnt, FENESTRA_DATABASE_URL: `sqlite:${path.join(mnt, 'fenestra.db')}` } });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void s.exited.then((e) => (exited = e));
  t.teardown(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
    execFileSync('umount', [mnt]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const get = (p: string, o?: Parameters<typeof s.request>[1]) =>
    s.request(p, o).catch((err: Error) => ({ status: 0, headers: {} as Record<string, unknown>, err }));
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const device = () => SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, connectionPerMessage: true, credential: CRED });
  const devices = await Promise.all(Array.from({ length: 4 }, device));
  for (const d of devices) await d.enroll();
  for (const d of devices) t.equal((await d.checkin()).outcome, 'complete', 'check-in before the disk fills');

  // Fill the file system to the last byte.
  const filler = path.join(mnt, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
    try {
      for (;;) fs.writeSync(fd, chunk, 0, size);
    } catch {
      /* ENOSPC at this size: try smaller writes */
    }
  }
  fs.closeSync(fd);

  // Sessions until writes fail: the WAL first reuses the room it had, and a session that only
  // updates existing pages may still be committed; its traces (new pages, written behind) fail.
  // How much room there is to reuse (free pages the migrations left, the WAL's own) varies from
  // run to run: 40 rounds were once not enough (CI), so the bound is generous; the loop ends at
  // the first 503, a few rounds in as a rule.
  const answered = new Set<string>();
  let rz = await get('/readyz');
  for (let i = 0; i < 300 && rz.status === 200 && !exited; i++) {
    for (const r of await Promise.all(devices.map((d) => d.checkin()))) answered.add(r.outcome === 'complete' ? 'complete' : `HTTP ${r.httpStatuses.at(-1)}`);
    await new Promise((r) => setTimeout(r, 60)); // one write-behind flush interval
    rz = await get('/readyz');
  }
  t.equal(exited, undefined, 'the process is still running on a full disk', { output: s.output().slice(-3000) });
  t.equal(rz.status, 503, '/readyz 503 while writes fail');
  t.ok(Number(rz.headers['retry-after']) > 0, '/readyz Retry-After');
  t.same(
    [...answered].filter((x) => x !== 'complete' && x !== 'HTTP 503'),
    [],
    `check-ins complete or are refused with 503 (${[...answered]})`,
  );
  const fresh = await device();
  const err = await fresh.enroll().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof SimError && err.httpStatus === 503, `an enrollment is refused with 503 (${(err as Error)?.message})`);
  t.equal((err as SimError | undefined)?.fault?.errorType, 'InMaintenance', 'the SOAP fault says try later');

  // Space again: everything works, without a restart.
  fs.rmSync(filler);
  t.equal((await get('/readyz')).status, 200, '/readyz 200 once space is back');
  for (const d of devices) t.equal((await d.checkin()).outcome, 'complete', 'check-in after space is back');
  await fresh.enroll();
  const list = (await s.admin('GET', '/api/v1/devices?limit=100')).json;
  t.ok(
    list.devices.some((d: { deviceId: string }) => d.deviceId === fresh.deviceId),
    'the enrollment after recovery is stored',
  );
  t.equal(exited, undefined, 'the process never exited');
});
