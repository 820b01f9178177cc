// Command queue semantics over real mutual TLS, message by message: 418 → Replace, Atomic
// rollback per child, package split by MaxMsgSize with Alert 1222, the device's own split
// package, user-scoped commands held until an Entra user signs in, cancel, expiry, and bounded
// retry of commands never answered.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import type { SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { deviceStatus, DmSession } from '../helpers/dm-session.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

/** This device's package 1 carries its LoginStatus too: a user signed in, unless `login` says otherwise. */
class Session extends DmSession {
  override start(extra: SyncCommand[] = [], o: { maxMsgSize?: number; login?: string } = {}) {
    return super.start(
      [{ kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: o.login ?? 'user' }] }, ...extra],
      o,
    );
  }
}
/** The device's Statuses: 200 but for the commands `byCmdId` gives a code. */
const codes = (byCmdId: Record<string, string>) => (c: SyncCommand, msgRef: string) => [deviceStatus(msgRef, c, byCmdId[c.cmdId] ?? '200')];
const commands = (m: SyncMLMessage) => m.body.filter((c) => c.kind !== 'Status' && c.kind !== 'Alert');

t.test('command queue', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const d = await enrollEntraDevice(s, tid);
  const id = d.dev.deviceId;
  let sid = 100;
  const queue = async (body: object) => {
    const r = await s.admin('POST', `/api/v1/devices/${id}/commands`, body);
    t.equal(r.status, 201, `queued ${JSON.stringify(body).slice(0, 60)}`);
    return r.json.id as string;
  };
  const state = async (cid: string) => (await s.admin('GET', `/api/v1/devices/${id}/commands?limit=500`)).json.commands.find((c: any) => c.id === cid);
  // First session takes the inventory; finish it.
  {
    const x = new Session(s, d, String(sid++));
    const r = await x.start();
    await x.answer(r);
  }

  t.test('418 on Add is retried as Replace, in the same session', async (t) => {
    const cid = await queue({ verb: 'Add', items: [{ target: './Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies', format: 'int', data: '2' }] });
    const x = new Session(s, d, String(sid++));
    const r1 = await x.start();
    const add = commands(r1)[0];
    t.equal(add.kind, 'Add');
    const r2 = await x.answer(r1, codes({ [add.cmdId]: '418' }));
    const rep = commands(r2)[0] as any;
    t.equal(rep.kind, 'Replace', 'sent again as Replace');
    t.equal(rep.items[0].target, './Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies');
    t.not(rep.cmdId, add.cmdId, 'a new CmdID within the session');
    const r3 = await x.answer(r2);
    t.same(
      r3.body.map((c) => c.kind),
      ['Status'],
    );
    const c = await state(cid);
    t.equal(c.state, 'acked');
    t.equal(c.status, '200');
    t.equal(c.detail.retriedAs, 'Replace');
  });

  t.test('Atomic: rollback recorded per child; a failing command does not block the rest', async (t) => {
    const atomic = await queue({
      verb: 'Atomic',
      commands: [
        { verb: 'Add', items: [{ target: './Device/Vendor/MSFT/Policy/Config/A/One', format: 'int', data: '1' }] },
        { verb: 'Add', items: [{ target: './Device/Vendor/MSFT/Policy/Config/A/Two', format: 'int', data: '2' }] },
      ],
    });
    const after = await queue({ verb: 'Replace', items: [{ target: './Device/Vendor/MSFT/Policy/Config/B/Three', format: 'int', data: '3' }] });
    const x = new Session(s, d, String(sid++));
    const r1 = await x.start();
    const cmds = commands(r1) as any[];
    t.same(
      cmds.map((c) => c.kind),
      ['Atomic', 'Replace'],
    );
    const [c1, c2] = cmds[0].commands;
    const r2 = await x.answer(r1, codes({ [cmds[0].cmdId]: '507', [c1.cmdId]: '216', [c2.cmdId]: '500' }));
    t.same(
      r2.body.map((c) => c.kind),
      ['Status'],
    );
    const a = await state(atomic);
    t.equal(a.state, 'failed');
    t.equal(a.status, '507');
    t.same(a.detail.children, [
      { index: 0, status: '216' },
      { index: 1, status: '500' },
    ]);
    t.equal((await state(after)).state, 'acked');
  });

  t.test('a package larger than MaxMsgSize is split; Alert 1222 pulls the rest', async (t) => {
    const big = 'x'.repeat(1500);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(await queue({ verb: 'Replace', items: [{ target: `./Device/Vendor/MSFT/Policy/Config/Big/N${i}`, format: 'chr', data: big }] }));
    const x = new Session(s, d, String(sid++));
    const r1 = await x.start([], { maxMsgSize: 4096 });
    t.ok(Buffer.byteLength(buildSyncML(r1)) <= 4096, 'message within MaxMsgSize');
    t.notOk(r1.final, 'no Final: the package continues');
    let got = commands(r1).length;
    t.ok(got >= 1 && got < 6);
    let reply = await x.answer(r1, undefined, [{ kind: 'Alert', cmdId: '90', data: '1222', items: [] }]);
    const cmdIds = new Set(commands(r1).map((c) => c.cmdId));
    while (commands(reply).length) {
      t.ok(Buffer.byteLength(buildSyncML(reply)) <= 4096);
      for (const c of commands(reply)) {
        t.notOk(cmdIds.has(c.cmdId), 'CmdIDs stay unique across the session');
        cmdIds.add(c.cmdId);
      }
      got += commands(reply).length;
      reply = await x.answer(reply, undefined, reply.final ? [] : [{ kind: 'Alert', cmdId: '90', data: '1222', items: [] }]);
    }
    t.equal(got, 6, 'all six delivered');
    t.ok(reply.final);
    for (const cid of ids) t.equal((await state(cid)).state, 'acked');
  });

  t.test("the device's own multi-message package: each part answered with Alert 1222", async (t) => {
    const cid = await queue({ verb: 'Get', items: [{ target: './DevDetail/Ext/Microsoft/LocalTime' }] });
    const x = new Session(s, d, String(sid++));
    const r1 = await x.start();
    const get = commands(r1)[0];
    const part1 = await x.send(
      [
        { kind: 'Status', cmdId: '1', msgRef: r1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
        { kind: 'Status', cmdId: '2', msgRef: r1.hdr.msgId, cmdRef: get.cmdId, cmd: 'Get', data: '200', items: [] },
      ],
      { final: false },
    );
    t.same(
      part1.body.map((c) => c.kind),
      ['Status', 'Alert'],
    );
    t.equal((part1.body[1] as any).data, '1222');
    t.notOk(part1.final);
    const part2 = await x.send([
      { kind: 'Status', cmdId: '3', msgRef: part1.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      {
        kind: 'Results',
        cmdId: '4',
        msgRef: r1.hdr.msgId,
        cmdRef: get.cmdId,
        items: [{ source: './DevDetail/Ext/Microsoft/LocalTime', meta: { format: 'chr' }, data: '2026-11-23T14:00:00Z' }],
      },
    ]);
    t.ok(part2.final);
    const c = await state(cid);
    t.equal(c.state, 'acked');
    t.equal(c.results[0].data, '2026-11-23T14:00:00Z');
  });

  t.test('user-scoped commands wait for an Entra user; the session records who signed in', async (t) => {
    const userCmd = await queue({ verb: 'Replace', items: [{ target: './User/Vendor/MSFT/Policy/Config/Start/HideShutDown', format: 'int', data: '1' }] });
    const x = new Session(s, d, String(sid++));
    const r1 = await x.start([], { login: 'none' });
    t.equal(commands(r1).length, 0, 'nothing for nobody');
    const held = await state(userCmd);
    t.equal(held.state, 'held');
    t.match(held.heldReason, /no Entra user/);
    const oid = crypto.randomUUID();
    const token = await s.entra.mintToken({ tid, aud: AUDIENCE, oid, upn: 'dana@contoso.com' });
    const y = new Session(s, d, String(sid++), { authorization: `Bearer ${token}` });
    const r2 = await y.start([{ kind: 'Alert', cmdId: '3', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: token }] }]);
    const sent = commands(r2) as any[];
    t.equal(sent.length, 1);
    t.equal(sent[0].items[0].target, './User/Vendor/MSFT/Policy/Config/Start/HideShutDown');
    await y.answer(r2);
    t.equal((await state(userCmd)).state, 'acked');
    const dev = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
    t.same(dev.signedInUser, { oid, upn: 'dana@contoso.com' });
    t.ok(dev.loginHistory.some((l: any) => l.oid === oid && l.upn === 'dana@contoso.com'));
    const traces = (await s.admin('GET', `/api/v1/devices/${id}/sessions?session=${y.sessionId}`)).json.messages;
    t.ok(traces.length >= 2);
    t.notOk(
      traces.some((m: any) => m.body.includes(token)),
      'the user token never reaches the trace',
    );

    const other = crypto.randomUUID();
    const forOther = await queue({ verb: 'Replace', userOid: other, items: [{ target: './User/Vendor/MSFT/Policy/Config/X/Y', format: 'int', data: '1' }] });
    const z = new Session(s, d, String(sid++), { authorization: `Bearer ${token}` });
    const r3 = await z.start();
    t.equal(commands(r3).length, 0, "another user's command is not delivered to dana");
    t.match((await state(forOther)).heldReason, /waiting for user/);
  });

  t.test('cancel, expiry and bounded retry', async (t) => {
    const cancelMe = await queue({ action: 'reboot' });
    const del = await s.admin('DELETE', `/api/v1/devices/${id}/commands/${cancelMe}`);
    t.equal(del.status, 204);
    t.equal((await state(cancelMe)).state, 'cancelled');
    t.equal((await s.admin('DELETE', `/api/v1/devices/${id}/commands/${cancelMe}`)).status, 409);
    // Sent but never answered: requeued at the next session, failed after 3 deliveries.
    const lost = await queue({ verb: 'Get', items: [{ target: './DevDetail/SwV' }] });
    for (let i = 0; i < 3; i++) {
      const x = new Session(s, d, String(sid++));
      const r = await x.start([], { login: 'none' });
      t.equal(commands(r).length, 1, `delivery ${i + 1}`);
      // the device goes away without answering
    }
    const x = new Session(s, d, String(sid++));
    await x.start([], { login: 'none' });
    const c = await state(lost);
    t.equal(c.state, 'failed');
    t.match(c.error, /no status from the device after 3 deliveries/);
  });

  t.test('bad admin input is refused with a pointer', async (t) => {
    const cases: [object, string][] = [
      [{ verb: 'Add', items: [{ target: '/absolute' }] }, '/items/0/target'],
      [{ verb: 'Add', items: [{ target: './A/../B' }] }, '/items/0/target'],
      [{ verb: 'Get', items: [{ target: './A', data: 'x' }] }, '/items/0/data'],
      [{ verb: 'Atomic', commands: [{ verb: 'Get', items: [{ target: './A' }] }] }, '/commands'],
      [{ verb: 'Atomic', commands: [{ verb: 'Atomic', commands: [{ verb: 'Add', items: [{ target: './A' }] }] }] }, '/commands/0/verb'],
      [{ action: 'explode' }, '/action'],
      [{ verb: 'Frobnicate', items: [] }, '/verb'],
      // Characters XML 1.0 cannot carry: queued, they would fail every session of the device.
      [{ verb: 'Replace', items: [{ target: './A', data: 'bell\u0007' }] }, '/items/0/data'],
      [{ verb: 'Replace', items: [{ target: './A', data: 'half \ud800 pair' }] }, '/items/0/data'],
      [{ verb: 'Replace', items: [{ target: './A', type: 'text/\uffff', data: 'x' }] }, '/items/0/type'],
      [{ verb: 'Get', items: [{ target: './A/\udc00' }] }, '/items/0/target'],
      [{ verb: 'Sequence', commands: [{ verb: 'Add', items: [{ target: './A', data: '\u0000' }] }] }, '/commands/0/items/0/data'],
    ];
    for (const [body, pointer] of cases) {
      const r = await s.admin('POST', `/api/v1/devices/${id}/commands`, body);
      t.equal(r.status, 400, JSON.stringify(body));
      t.equal(r.json.error.pointer, pointer);
    }
    t.equal((await s.admin('POST', '/api/v1/devices/nope/commands', { action: 'sync' })).status, 404);
  });
});
