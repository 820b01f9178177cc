// The Enrollment Status Page in real OMA-DM sessions (issue #16): a real server, a scripted
// device keeping a DM tree, policies and profiles through the admin API. The device phase on
// SQLite and on PostgreSQL: the declaration goes out first in the device's first session with
// the required profiles, ServerHasFinishedProvisioning only once the last required item is
// delivered, a failing item fails the run (nothing finished, the error text kept), the timeline
// and fleet figures. The user phase on a shared PC: each user's first session once, never again.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { ItemCommand, ResultsCommand, StatusCommand, SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice, type EnrolledDevice } from '../helpers/enrolled.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const FS = './Device/Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus';
const UFS = './User/Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus';
const CAMERA = './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera';
const JUMPLISTS = './User/Vendor/MSFT/Policy/Config/Start/HideRecentJumplists';
const WIFI = './Device/Vendor/MSFT/WiFi/Profile/Contoso';

/** A device's DM tree as the script keeps it, and what it does with some LocURIs. */
class Tree {
  readonly nodes = new Map<string, string>();
  /** LocURIs (by substring) the device leaves unanswered (no Status: the command stays in flight). */
  skip: string[] = [];
  /** LocURIs (by substring) it refuses with 500. */
  fail: string[] = [];
}

const targets = (c: SyncCommand): string[] =>
  c.kind === 'Atomic' || c.kind === 'Sequence' ? c.commands.flatMap(targets) : 'items' in c ? (c as ItemCommand).items.map((i) => i.target ?? '') : [];

/** Answers a reply like Windows: a Status per command (Atomic members too), Results for Gets, values kept. */
function answer(reply: SyncMLMessage, tree: Tree): SyncCommand[] {
  const msgRef = reply.hdr.msgId;
  const out: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  const id = () => String(out.length + 1);
  const status = (c: SyncCommand, data: string) =>
    out.push({ kind: 'Status', cmdId: id(), msgRef, cmdRef: c.cmdId, cmd: c.kind, data, items: [] } as StatusCommand);
  const matches = (c: SyncCommand, list: string[]) => targets(c).some((u) => list.some((x) => u.includes(x)));
  const one = (c: SyncCommand) => {
    const ic = c as ItemCommand;
    if (ic.kind === 'Get') {
      status(c, '200');
      out.push({
        kind: 'Results',
        cmdId: id(),
        msgRef,
        cmdRef: c.cmdId,
        items: ic.items.map((i) => ({ source: i.target, data: tree.nodes.get(i.target!) ?? 'x' })),
      } as ResultsCommand);
      return;
    }
    if (matches(c, tree.fail)) return void status(c, '500');
    if (ic.kind === 'Add' || ic.kind === 'Replace') for (const i of ic.items) tree.nodes.set(i.target!, i.data ?? '');
    if (ic.kind === 'Delete') for (const i of ic.items) tree.nodes.delete(i.target!);
    status(c, '200');
  };
  for (const c of reply.body) {
    if (c.kind === 'Status' || c.kind === 'Results' || c.kind === 'Alert') continue;
    if (matches(c, tree.skip)) continue;
    if (c.kind === 'Atomic' || c.kind === 'Sequence') {
      const failed = c.kind === 'Atomic' && matches(c, tree.fail);
      for (const m of c.commands) {
        if (failed) status(m, matches(m, tree.fail) ? '500' : '216');
        else one(m);
      }
      status(c, failed ? '507' : '200');
      continue;
    }
    one(c);
  }
  return out;
}

/** One OMA-DM session of the scripted device, run until the server has nothing more to send. Returns every reply. */
async function session(s: TestServer, d: EnrolledDevice, tree: Tree, o: { token?: string } = {}): Promise<SyncMLMessage[]> {
  const sessionId = String(crypto.randomInt(1, 60000));
  let msgId = 0;
  const send = async (body: SyncCommand[]) => {
    const m: SyncMLMessage = {
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId, msgId: String(++msgId), targetUri: s.publicUrl + M, sourceUri: d.dev.deviceId },
      final: true,
      body,
    };
    const r = await s.request(M, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      cert: d.certPem,
      key: d.keyPem,
    });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text()}`);
    return parseSyncML(r.body);
  };
  const first: SyncCommand[] = [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }];
  if (o.token) first.push({ kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: o.token }] });
  const replies = [await send(first)];
  for (let i = 0; i < 10 && replies.at(-1)!.body.some((c) => c.kind !== 'Status'); i++) replies.push(await send(answer(replies.at(-1)!, tree)));
  return replies;
}

/** The items the server wrote under a FirstSyncStatus root, in the order sent: [node, data]. */
const firstSync = (replies: SyncMLMessage[], root: string) =>
  replies.flatMap((r) =>
    r.body.flatMap((c) =>
      c.kind === 'Replace'
        ? (c as ItemCommand).items.filter((i) => i.target!.startsWith(root + '/')).map((i) => [i.target!.slice(root.length + 1), i.data])
        : [],
    ),
  );
const finishedIn = (replies: SyncMLMessage[], root: string) =>
  replies.findIndex((r) => firstSync([r], root).some(([n]) => n === 'ServerHasFinishedProvisioning'));

async function profile(s: TestServer, body: Record<string, unknown>): Promise<string> {
  const p = await s.admin('POST', '/api/v1/profiles', body);
  if (p.status !== 201) throw new Error(`profile: ${p.status} ${JSON.stringify(p.json)}`);
  const a = await s.admin('POST', `/api/v1/profiles/${p.json.id}/assignments`, { targetType: 'all' });
  if (a.status >= 300) throw new Error(`assignment: ${a.status}`);
  return p.json.id;
}

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`device phase (${database})`, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const camera = await profile(s, {
      name: 'No camera',
      kind: 'custom',
      scope: 'device',
      settings: { nodes: [{ locUri: CAMERA, format: 'int', value: '0' }] },
    });
    const wifi = await profile(s, { name: 'Corp Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
    const pol = await s.admin('POST', '/api/v1/esp-policies', {
      name: 'Everyone',
      target: { type: 'all' },
      requiredProfileIds: [camera, wifi],
      timeoutMinutes: 30,
      errorText: 'Call IT on 555-0100',
      blockDevice: true,
      allowReset: true,
      skipUserPhase: true,
    });
    t.equal(pol.status, 201, 'policy created');

    const d = await enrollEntraDevice(s, tid);
    const dayZero = async (dev: EnrolledDevice) => (await s.admin('GET', `/api/v1/devices/${dev.dev.deviceId}/day-zero`)).json;

    t.test('the first session declares, delivers, and does not finish while an item is missing', async (t) => {
      const tree = new Tree();
      tree.skip = ['/WiFi/'];
      const replies = await session(s, d, tree);
      const r1 = replies[0];
      const at = (f: (u: string) => boolean) => r1.body.findIndex((c) => targets(c).some(f));
      const declared = at((u) => u.startsWith(FS + '/'));
      t.ok(declared >= 0 && declared < at((u) => u === CAMERA) && declared < at((u) => u.startsWith(WIFI + '/')), 'declared before the required profiles');
      t.same(firstSync([r1], FS), [
        ['ExpectedPolicies', CAMERA],
        ['ExpectedNetworkProfiles', WIFI],
        ['TimeOutUntilSyncFailure', '30'],
        ['BlockInStatusPage', '3'],
        ['SkipDeviceStatusPage', 'false'],
        ['SkipUserStatusPage', 'true'],
        ['AllowCollectLogsButton', 'false'],
        ['CustomErrorText', 'Call IT on 555-0100'],
      ]);
      const sent = r1.body.flatMap(targets);
      t.ok(sent.includes(CAMERA), 'the camera policy in the same message');
      t.ok(
        sent.some((u) => u.startsWith(WIFI + '/')),
        'the Wi-Fi profile in the same message',
      );
      t.equal(finishedIn(replies, FS), -1, 'not finished: the Wi-Fi profile is unanswered');
      const z = await dayZero(d);
      t.equal(z.runs.length, 1, 'the device phase only (the user phase is skipped)');
      t.match(z.runs[0], { userKey: '', errorText: 'Call IT on 555-0100' });
      t.notOk(z.runs[0].outcome, 'in progress');
      t.same(
        z.runs[0].items.map((i: any) => [i.name, i.kind, i.status]),
        [
          ['No camera', 'custom', 'done'],
          ['Corp Wi-Fi', 'wifi', 'pending'],
        ],
      );
    });

    t.test('the next session delivers the last item and finishes', async (t) => {
      const replies = await session(s, d, new Tree());
      const wifiAt = replies.findIndex((r) => r.body.flatMap(targets).some((u) => u.startsWith(WIFI + '/')));
      t.ok(wifiAt >= 0, 'the Wi-Fi profile sent again');
      const fin = finishedIn(replies, FS);
      t.ok(fin > wifiAt, 'ServerHasFinishedProvisioning after the answer to the Wi-Fi profile');
      t.same(firstSync(replies, FS), [['ServerHasFinishedProvisioning', 'true']], 'nothing declared again; finished once');
      const z = await dayZero(d);
      t.equal(z.runs[0].outcome, 'done');
      t.same(
        z.runs[0].events.map((e: any) => [e.type, e.name ?? null]),
        [
          ['started', null],
          ['item-done', 'No camera'],
          ['item-done', 'Corp Wi-Fi'],
          ['finished', null],
        ],
      );
      const again = await session(s, d, new Tree());
      t.same(firstSync(again, FS), [], 'a later session sends nothing of the status page');
    });

    t.test('a failing item fails the run: nothing finished, the error text kept', async (t) => {
      const d2 = await enrollEntraDevice(s, tid);
      const tree = new Tree();
      tree.fail = ['/WiFi/'];
      const replies = await session(s, d2, tree);
      t.ok(firstSync(replies, FS).length > 0, 'declared');
      t.equal(finishedIn(replies, FS), -1, 'never finished');
      const z = await dayZero(d2);
      t.equal(z.runs[0].outcome, 'failed');
      t.match(z.runs[0].items, [
        { name: 'No camera', status: 'done' },
        { name: 'Corp Wi-Fi', status: 'failed' },
      ]);
      t.match(z.runs[0].events.at(-1), { type: 'failed', detail: 'Call IT on 555-0100' });
      const later = await session(s, d2, new Tree());
      t.equal(finishedIn(later, FS), -1, 'not finished later either');
    });

    t.test('a device that refuses the FirstSyncStatus nodes (an older Windows): the run is followed all the same', async (t) => {
      const d3 = await enrollEntraDevice(s, tid);
      const tree = new Tree();
      tree.fail = ['/FirstSyncStatus/'];
      const replies = await session(s, d3, tree);
      t.ok(finishedIn(replies, FS) > 0, 'finished sent (and refused too)');
      t.equal((await dayZero(d3)).runs[0].outcome, 'done', 'the items were delivered');
    });

    t.test('fleet figures', async (t) => {
      const f = (await s.admin('GET', '/api/v1/fleet/day-zero')).json;
      t.match(f, { phase: 'device', runs: 3, byOutcome: { inProgress: 0, done: 2, failed: 1, timedOut: 0 } });
      t.type(f.p50Seconds, 'number');
      t.match(f.blocking[0], { profileId: wifi, name: 'Corp Wi-Fi', failed: 1 }, 'the Wi-Fi profile blocked most');
      t.equal((await s.admin('GET', '/api/v1/fleet/day-zero?phase=user')).json.runs, 0);
      t.equal((await s.admin('GET', '/api/v1/fleet/day-zero?phase=sometimes')).status, 400);
      t.equal((await s.admin('GET', '/api/v1/devices/nope/day-zero')).status, 404);
    });
  });
}

t.test('the user phase on a shared PC: each user once', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const jump = await profile(s, {
    name: 'No jump lists',
    kind: 'custom',
    scope: 'user',
    settings: { nodes: [{ locUri: JUMPLISTS, format: 'int', value: '1' }] },
  });
  // A device in use before the policy existed, and its user.
  const old = await enrollEntraDevice(s, tid);
  const c = crypto.randomUUID();
  const cToken = () => s.entra.mintToken({ tid, aud: AUDIENCE, oid: c, upn: 'carol@contoso.com' });
  await session(s, old, new Tree(), { token: await cToken() });
  t.equal((await s.admin('POST', '/api/v1/esp-policies', { name: 'All', target: { type: 'all' }, requiredProfileIds: [jump] })).status, 201);
  const before = [...(await session(s, old, new Tree(), { token: await cToken() })), ...(await session(s, old, new Tree()))];
  t.same([...firstSync(before, FS), ...firstSync(before, UFS)], [], 'no status page for a device or user seen before the policy');
  const d = await enrollEntraDevice(s, tid);
  const tree = new Tree();
  const first = await session(s, d, tree);
  t.same(
    firstSync(first, FS).map(([n]) => n),
    ['TimeOutUntilSyncFailure', 'BlockInStatusPage', 'SkipDeviceStatusPage', 'SkipUserStatusPage', 'AllowCollectLogsButton', 'ServerHasFinishedProvisioning'],
    'no device item required: declared and finished at once',
  );
  t.same(firstSync(first, UFS), [], 'nobody signed in: no user phase');

  const user = async (oid: string) => {
    const token = await s.entra.mintToken({ tid, aud: AUDIENCE, oid, upn: `${oid.slice(0, 6)}@contoso.com` });
    return session(s, d, tree, { token });
  };
  const a = crypto.randomUUID();
  const b = crypto.randomUUID();
  const ra = await user(a);
  t.same(firstSync([ra[0]], UFS), [
    ['ExpectedPolicies', JUMPLISTS],
    ['AllowCollectLogsButton', 'false'],
  ]);
  t.ok(ra[0].body.flatMap(targets).includes(JUMPLISTS), "the user's profile in the same message");
  t.equal(finishedIn([ra[0]], UFS), -1, 'not finished before the answer');
  t.ok(finishedIn(ra, UFS) > 0, 'finished once the profile is delivered');
  t.same(firstSync(ra, FS), [], 'nothing for the device tree');
  t.same(firstSync(await user(a), UFS), [], "the same user's next session: nothing");
  const rb = await user(b);
  t.equal(firstSync([rb[0]], UFS)[0][0], 'ExpectedPolicies', 'another user: their own page');
  t.ok(finishedIn(rb, UFS) > 0);
  t.same(firstSync(await user(b), UFS), [], 'and only once');
  t.same(firstSync(await user(a), UFS), [], 'never again for the first');
  const z = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}/day-zero`)).json;
  t.same(
    z.runs.map((r: any) => [r.userKey, r.outcome, r.items.length]),
    [
      ['', 'done', 0],
      ...[a, b]
        .map((u) => u.toLowerCase())
        .sort()
        .map((u) => [u, 'done', 1]),
    ],
  );
});

t.test('the policy API refuses what it cannot declare, naming the field', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const good = { name: 'P', target: { type: 'all' }, requiredProfileIds: [] };
  for (const [label, body, pointer] of [
    ['an unknown profile', { ...good, requiredProfileIds: ['nope'] }, '/requiredProfileIds/0'],
    ['an unknown group', { ...good, target: { type: 'group', id: 'g' } }, '/target/id'],
    ['an id for all', { ...good, target: { type: 'all', id: 'x' } }, '/target/id'],
    ['an Entra group that is no GUID', { ...good, target: { type: 'entraGroup', id: 'sales' } }, '/target/id'],
    ['reset without blocking', { ...good, allowReset: true }, '/allowReset'],
    ['the list delimiter in the error text', { ...good, errorText: 'a\uf000b' }, '/errorText'],
  ] as const) {
    const r = await s.admin('POST', '/api/v1/esp-policies', body);
    t.equal(r.status, 400, `${label}: 400`);
    t.equal(r.json.error.pointer, pointer, `${label}: ${pointer}`);
  }
  for (const bad of [
    { ...good, timeoutMinutes: 0 },
    { ...good, timeoutMinutes: 1441 },
    { ...good, name: '' },
    { ...good, extra: 1 },
  ]) {
    t.equal((await s.admin('POST', '/api/v1/esp-policies', bad)).status, 400, JSON.stringify(bad));
  }
  const c = await s.admin('POST', '/api/v1/esp-policies', { ...good, timeoutMinutes: 90, blockDevice: true, allowContinue: true });
  t.equal(c.status, 201);
  t.match(c.json, { name: 'P', timeoutMinutes: 90, blockDevice: true, allowContinue: true, allowCollectLogs: false, skipUserPhase: false });
  const u = await s.admin('PUT', `/api/v1/esp-policies/${c.json.id}`, { ...good, name: 'Q' });
  t.match(u.json, { id: c.json.id, name: 'Q', timeoutMinutes: 60, blockDevice: false, createdAt: c.json.createdAt });
  t.notOk('allowContinue' in u.json, 'a replace drops what it leaves out');
  t.same(
    (await s.admin('GET', '/api/v1/esp-policies')).json.map((p: any) => p.name),
    ['Q'],
  );
  t.equal((await s.admin('DELETE', `/api/v1/esp-policies/${c.json.id}`)).status, 204);
  t.equal((await s.admin('GET', `/api/v1/esp-policies/${c.json.id}`)).status, 404);
  t.equal((await s.admin('PUT', `/api/v1/esp-policies/${c.json.id}`, good)).status, 404);
});

t.test('fleet figures: a since that is no instant is a 400', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const r = await s.admin('GET', '/api/v1/fleet/day-zero?since=yesterday');
  t.equal(r.status, 400);
  const ok = await s.admin('GET', '/api/v1/fleet/day-zero?since=2026-01-01T00:00:00Z&phase=all');
  t.equal(ok.status, 200);
  t.match(ok.json, { phase: 'all', runs: 0, byOutcome: { inProgress: 0, done: 0, failed: 0, timedOut: 0 }, blocking: [] });
});

t.test('past the time-out the run ends timed-out and nothing is finished, even when the item arrives later', async (t) => {
  const Database = (await import('better-sqlite3')).default;
  const path = await import('node:path');
  const s = await startTestServer({}, { database: 'sqlite' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const wifi = await profile(s, { name: 'Corp Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
  const pol = await s.admin('POST', '/api/v1/esp-policies', {
    name: 'P',
    target: { type: 'all' },
    requiredProfileIds: [wifi],
    timeoutMinutes: 1,
    errorText: 'Too slow',
  });
  t.equal(pol.status, 201);
  const d = await enrollEntraDevice(s, tid);
  const tree = new Tree();
  tree.skip = ['/WiFi/'];
  const first = await session(s, d, tree);
  t.equal(firstSync([first[0]], FS).find(([n]) => n === 'TimeOutUntilSyncFailure')?.[1], '1');
  // The minute passes (the device shows "Too slow" by itself): the deadline is moved back to the start.
  const db = new Database(path.join(s.dir, 'data', 'fenestra.db'));
  t.equal(db.prepare('UPDATE esp_runs SET deadline = started_at WHERE outcome IS NULL').run().changes, 1);
  const past = (db.prepare('SELECT deadline FROM esp_runs').get() as { deadline: string }).deadline;
  db.close();
  const shown = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}/day-zero`)).json.runs[0];
  t.match(shown, { outcome: 'timed-out', finishedAt: past }, 'shown timed out before the device is heard from');
  const later = await session(s, d, new Tree());
  t.ok(
    later.some((r) => r.body.flatMap(targets).some((u) => u.startsWith(WIFI + '/'))),
    'the Wi-Fi profile is delivered late',
  );
  t.equal(finishedIn(later, FS), -1, 'nothing finished after the time-out');
  const z = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}/day-zero`)).json.runs[0];
  t.match(z, { outcome: 'timed-out', finishedAt: past });
  t.match(z.events.at(-1), { type: 'timed-out', at: past, detail: 'Too slow' });
  t.match((await s.admin('GET', '/api/v1/fleet/day-zero')).json, { byOutcome: { timedOut: 1 }, blocking: [{ profileId: wifi, timedOut: 1 }] });
});

t.test('a device enrolled again (after a reset) has its day zero again', async (t) => {
  const { rstMessage } = await import('../../src/sim/enroll-messages.js');
  const { readRstrProvisioning } = await import('../../src/sim/enroll-responses.js');
  const { derToPem } = await import('../../src/pki/der.js');
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const wifi = await profile(s, { name: 'Corp Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
  t.equal((await s.admin('POST', '/api/v1/esp-policies', { name: 'P', target: { type: 'all' }, requiredProfileIds: [wifi] })).status, 201);
  const d = await enrollEntraDevice(s, tid);
  const one = await session(s, d, new Tree());
  t.ok(finishedIn(one, FS) > 0, 'first enrollment: finished');
  const E = '/EnrollmentServer/Enrollment.svc';
  const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: d.entraDeviceId, upn: 'owner@contoso.com' });
  const r = await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: d.dev.csrBase64(), context: d.dev.context([['EnrollmentType', 'Device']]) },
    ),
  );
  t.equal(r.status, 200, 'enrolled again');
  const prov = readRstrProvisioning(r.text());
  const again: EnrolledDevice = { ...d, prov, certPem: derToPem(Buffer.from(prov.client!.base64, 'base64'), 'CERTIFICATE') };
  const two = await session(s, again, new Tree());
  t.same(firstSync([two[0]], FS)[0], ['ExpectedNetworkProfiles', WIFI], 'declared again');
  t.ok(finishedIn(two, FS) > 0, 'and finished again');
  const z = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}/day-zero`)).json;
  t.equal(z.runs.length, 1, 'the run of this enrollment replaced the earlier one');
  t.ok(z.runs[0].startedAt >= z.enrolledAt, 'started after the new enrollment');
  t.equal(z.runs[0].outcome, 'done');
});
