// A simulated device saved for the state file and restored from it, in process: what it keeps,
// and what it refuses (saving a device that never enrolled, enrolling again once restored).
import crypto from 'node:crypto';
import fs from 'node:fs';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { restoreDevice, saveDevice } from '../../src/sim/saved-device.js';

const certificatePem = fs.readFileSync(new URL('../../fixtures/csp/test-root-ca.pem', import.meta.url), 'utf8');
const privateKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const conn = { url: 'https://mdm.test' };
const meta = { auth: 'digest' as const, enrolledAt: '2026-01-01T00:00:00Z' };

t.test('a device that never enrolled cannot be saved', async (t) => {
  const dev = new SimDevice({
    ...conn,
    credential: { kind: 'entra', token: () => 'x' },
    deviceId: 'NEVER',
    keyPair: { privateKey, publicKey: crypto.createPublicKey(privateKey) },
  });
  t.throws(() => saveDevice(dev, meta), { message: 'device NEVER is not enrolled' });
});

t.test('a restored device is the saved one, does not enroll again, and saves back its state', async (t) => {
  const fresh = new SimDevice({
    ...conn,
    credential: { kind: 'entra', token: () => 'x' },
    deviceId: 'D1',
    keyPair: { privateKey, publicKey: crypto.createPublicKey(privateKey) },
  });
  fresh.enrollment = { providerId: 'fenestra', managementUrl: 'https://mdm.test/m', certificatePem, enrollmentType: 'Full' } as never;
  fresh.sessions = 3;
  const saved = saveDevice(fresh, meta);
  t.equal(saved.state, 'enrolled', 'a device not unenrolled is saved enrolled');

  const dev = restoreDevice({ ...saved, state: 'unenrolled', wiped: true, users: ['tok-a', 'tok-b'] }, conn);
  t.equal(dev.deviceId, 'D1');
  t.equal(dev.enrollmentType, 'Full', 'the enrollment type comes from the saved enrollment');
  t.equal(dev.sessions, 3);
  t.ok(privateKey.equals(dev.privateKey), 'the same key pair');
  t.throws(() => (dev as unknown as { o: { credential: { token: () => string } } }).o.credential.token(), {
    message: 'a device restored from a state file does not enroll again',
  });
  const again = saveDevice(dev, { ...meta, lastCheckinAt: '2026-01-02T00:00:00Z' });
  t.match(again, { state: 'unenrolled', wiped: true, users: ['tok-a', 'tok-b'], auth: 'digest', lastCheckinAt: '2026-01-02T00:00:00Z' });
});
