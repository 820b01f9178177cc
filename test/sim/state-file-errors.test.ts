// The state file reader, writer and lock, in process: each malformed field is refused naming the
// device and the field, a failed write leaves no temporary file, a lock that cannot be taken says why.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { StateFileError, lockStateFile, readStateFile, writeStateFile } from '../../src/sim/state-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-state-file-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const certificatePem = fs.readFileSync(new URL('../../fixtures/csp/test-root-ca.pem', import.meta.url), 'utf8');
const privateKeyPem = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const device = {
  deviceId: 'D1',
  privateKeyPem,
  auth: 'certificate',
  state: 'enrolled',
  wiped: false,
  sessions: 0,
  inventory: {},
  tree: { device: {}, users: {} },
  users: [],
  enrolledAt: '2026-01-01T00:00:00Z',
  enrollment: { providerId: 'fenestra', managementUrl: 'https://mdm.test/m', certificatePem, enrollmentType: 'Device' },
};
const good = { kind: 'fenestra-sim-state', version: 1, url: 'https://mdm.test', devices: [device] };

let n = 0;
function refusal(content: unknown): string {
  const f = path.join(dir, `s${n++}.json`);
  fs.writeFileSync(f, JSON.stringify(content));
  try {
    readStateFile(f);
  } catch (err) {
    if (!(err instanceof StateFileError)) throw err;
    return err.message.slice(`state file ${f}: `.length);
  }
  return 'accepted';
}
const withDevice = (d: Record<string, unknown>) => ({ ...good, devices: [{ ...device, ...d }] });

t.test('a well-formed state file is read back as written', async (t) => {
  const f = path.join(dir, 'good.json');
  writeStateFile(f, good as never);
  t.same(readStateFile(f), good);
  t.equal(fs.statSync(f).mode & 0o777, 0o600, 'it holds private keys: owner only');
  t.same(
    fs.readdirSync(dir).filter((x) => x.endsWith('.tmp')),
    [],
    'no temporary file left',
  );
  t.equal(readStateFile(path.join(dir, 'absent.json'), true), undefined, 'missingOk: no file is no fleet');
});

t.test('each malformed field is refused, naming it', async (t) => {
  const cases: [unknown, string][] = [
    [[good], 'not a fenestra sim state file (no "kind": "fenestra-sim-state")'],
    [{ ...good, version: 2 }, 'version 2 is not one this fenestra reads (1)'],
    [{ ...good, url: 'http://mdm.test' }, 'url: not an https:// URL'],
    [{ ...good, url: 7 }, 'url: not an https:// URL'],
    [{ ...good, ca: 1 }, 'ca: not a PEM string'],
    [{ ...good, connect: 443 }, 'connect: not a HOST:PORT string'],
    [{ ...good, devices: {} }, 'devices: not an array'],
    [{ ...good, devices: ['D1'] }, 'devices[0]: not an object'],
    [withDevice({ deviceId: '' }), 'devices[0].deviceId: not a string'],
    [{ ...good, devices: [device, device] }, 'devices[1].deviceId: D1 appears twice'],
    [withDevice({ privateKeyPem: 5 }), 'devices[0].privateKeyPem: not a string'],
    [withDevice({ auth: 'password' }), 'devices[0].auth: not certificate or digest'],
    [withDevice({ state: 'wiped' }), 'devices[0].state: not enrolled or unenrolled'],
    [withDevice({ sessions: -1 }), 'devices[0].sessions: not a count'],
    [withDevice({ sessions: 1.5 }), 'devices[0].sessions: not a count'],
    [withDevice({ inventory: null }), 'devices[0].inventory: not an object'],
    [withDevice({ tree: { device: {} } }), 'devices[0].tree: not a saved DM tree'],
    [withDevice({ users: [1] }), 'devices[0].users: not a list of tokens'],
    [withDevice({ enrollment: 'x' }), 'devices[0].enrollment: not an object'],
    [withDevice({ enrollment: { ...device.enrollment, managementUrl: undefined } }), 'devices[0].enrollment.managementUrl: not a string'],
    [withDevice({ enrollment: { ...device.enrollment, enrollmentType: 'User' } }), 'devices[0].enrollment.enrollmentType: not Device or Full'],
    [withDevice({ enrollment: { ...device.enrollment, certificatePem: 'nope' } }), 'devices[0].enrollment.certificatePem: not a certificate'],
  ];
  for (const [content, message] of cases) t.equal(refusal(content), message, message);
  t.equal(
    refusal(withDevice({ auth: 'digest', state: 'unenrolled', enrollment: { ...device.enrollment, enrollmentType: 'Full' } })),
    'accepted',
    'the other allowed values',
  );
});

t.test('a file that cannot be read or written says why, and leaves nothing behind', async (t) => {
  t.throws(() => readStateFile(dir), { message: `state file ${dir}: EISDIR` }, 'a directory is not a state file');
  // The rename fails onto a non-empty directory: the temporary file is removed.
  const target = path.join(dir, 'occupied');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'x'), '');
  t.throws(() => writeStateFile(target, good as never), { message: new RegExp(`^state file ${target}: cannot write: E(ISDIR|NOTEMPTY|EXIST)$`) });
  t.same(
    fs.readdirSync(dir).filter((x) => x.endsWith('.tmp')),
    [],
    'no temporary file left',
  );
  // The write itself fails (the disk is full): the temporary file is removed too.
  const write = fs.writeFileSync;
  t.teardown(() => void (fs.writeFileSync = write));
  fs.writeFileSync = (() => {
    throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  }) as typeof fs.writeFileSync;
  const full = path.join(dir, 'full.json');
  t.throws(() => writeStateFile(full, good as never), { message: `state file ${full}: cannot write: ENOSPC` });
  fs.writeFileSync = write;
  t.same(
    fs.readdirSync(dir).filter((x) => x.endsWith('.tmp')),
    [],
    'no temporary file left after a failed write',
  );
  t.notOk(fs.existsSync(full), 'and no state file');
});

t.test('a lock that cannot be created is refused with the reason; release is idempotent', async (t) => {
  const nowhere = path.join(dir, 'no-such-dir', 'fleet.json');
  t.throws(() => lockStateFile(nowhere), { message: `state file ${nowhere}: cannot lock (${nowhere}.lock): ENOENT` });
  const f = path.join(dir, 'locked.json');
  const release = lockStateFile(f);
  t.equal(fs.readFileSync(`${f}.lock`, 'utf8'), `${process.pid}\n`);
  release();
  t.notOk(fs.existsSync(`${f}.lock`));
  // A second release must not remove a lock another run has taken since.
  fs.writeFileSync(`${f}.lock`, '1\n');
  release();
  t.ok(fs.existsSync(`${f}.lock`), 'a second release leaves a later lock alone');
});
