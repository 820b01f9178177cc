// Crash safety: the server process is killed (SIGKILL, no shutdown at all) in the middle of an
// enrollment and check-in storm, then started again on the same data. Every enrollment a client
// saw succeed is there; no command whose acknowledgement the server had stored is sent again;
// no queued command is lost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { freePort, startChildServer, type ChildServer } from '../helpers/child-server.js';

const CRED = { kind: 'password' as const, username: 'storm@contoso.com', password: 'storm-password-1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('SIGKILL during an enrollment and session storm', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-crash-'));
  const port = await freePort();
  let s: ChildServer = await startChildServer({ dir, port });
  t.teardown(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const device = () => SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, connectionPerMessage: true, credential: CRED });

  // Devices enrolled before the storm, each with commands queued (unique LocURIs).
  const managed = await Promise.all(Array.from({ length: 6 }, device));
  for (const d of managed) await d.enroll();
  const queued = new Map<string, { dev: SimDevice; target: string }>();
  const queue = async (d: SimDevice, n: number) => {
    const target = `./Device/Vendor/MSFT/Policy/Config/Crash/${d.deviceId}-${n}`;
    const r = await s.admin('POST', `/api/v1/devices/${d.deviceId}/commands`, { verb: 'Add', items: [{ target, format: 'int', data: String(n) }] });
    if (r.status === 201) queued.set(r.json.id, { dev: d, target });
  };
  for (const d of managed) for (let i = 0; i < 4; i++) await queue(d, i);

  // The storm: new enrollments, sessions of the managed devices, more commands queued.
  const fresh = await Promise.all(Array.from({ length: 16 }, device));
  const enrolled: SimDevice[] = [];
  let stop = false;
  const storm = Promise.allSettled([
    ...fresh.map((d) => d.enroll().then(() => void enrolled.push(d))),
    ...managed.map(async (d) => {
      while (!stop) await d.checkin().catch(() => undefined);
    }),
    (async () => {
      for (let n = 4; !stop; n++) {
        for (const d of managed) await queue(d, n).catch(() => undefined);
        await sleep(20);
      }
    })(),
  ]);
  for (let i = 0; i < 300 && enrolled.length < 4; i++) await sleep(20);
  s.child.kill('SIGKILL');
  const dead = await s.exited;
  t.equal(dead.signal, 'SIGKILL', 'killed');
  stop = true;
  await storm;
  t.ok(enrolled.length >= 1, `${enrolled.length} enrollments completed before the kill`);
  const logMark = new Map(managed.map((d) => [d, d.tree.log.length]));

  // Start again on the same data and port.
  s = await startChildServer({ dir, port, token: s.token });
  const list = (await s.admin('GET', '/api/v1/devices?limit=1000')).json;
  const known = new Set(list.devices.map((d: any) => d.deviceId));
  for (const d of enrolled) t.ok(known.has(d.deviceId), `enrollment ${d.deviceId} survived`);
  for (const d of enrolled) {
    const r = await d.checkin();
    t.equal(r.outcome, 'complete', `${d.deviceId} checks in with its certificate after the restart ${r.error ?? ''}`);
  }

  // Commands: what the store had acknowledged before the crash is not sent again; everything
  // queued (201) is delivered.
  const ackedBefore = new Set<string>();
  for (const d of managed) {
    const cmds = (await s.admin('GET', `/api/v1/devices/${d.deviceId}/commands?limit=1000`)).json.commands;
    for (const c of cmds) if (c.origin === 'admin' && c.state === 'acked') ackedBefore.add(c.payload.items[0].target);
  }
  t.ok(ackedBefore.size > 0, `${ackedBefore.size} commands were acknowledged before the kill`);
  for (let round = 0; round < 6; round++) {
    for (const d of managed) await d.checkin();
  }
  for (const d of managed) {
    const after = d.tree.log.slice(logMark.get(d)!);
    const again = after.filter((e) => e.targets.some((x) => ackedBefore.has(x)));
    t.same(
      again.map((e) => e.targets[0]),
      [],
      `${d.deviceId}: no acknowledged command sent again`,
    );
  }
  let lost = 0;
  for (const [id, { dev, target }] of queued) {
    const c = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/commands?limit=1000`)).json.commands.find((x: any) => x.id === id);
    if (!c || c.state !== 'acked' || !dev.tree.has(target)) lost++;
  }
  t.equal(lost, 0, `all ${queued.size} queued commands delivered and acknowledged`);
});
