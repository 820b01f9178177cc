// Exact delivery outcomes over real mutual TLS: one attempt per delivery of an Atomic (not per
// member), commands of a dropped session sent again at any package 1, a status per item of a
// multi-item command, an Atomic judged by its members when it has no Status of its own, a
// DevInfo/DevId that is not the device's, and one inventory Get per message.
import t from 'tap';
import type { SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { deviceStatus as st, DmSession } from '../helpers/dm-session.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const commands = (m: SyncMLMessage) => m.body.filter((c) => c.kind !== 'Status' && c.kind !== 'Alert') as any[];

t.test('delivery outcomes', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const d = await enrollEntraDevice(s, tid);
  const id = d.dev.deviceId;
  let sid = 200;
  const queue = async (body: object) => {
    const r = await s.admin('POST', `/api/v1/devices/${id}/commands`, body);
    t.equal(r.status, 201);
    return r.json.id as string;
  };
  const all = async () => (await s.admin('GET', `/api/v1/devices/${id}/commands?limit=500`)).json.commands as any[];
  const state = async (cid: string) => (await all()).find((c) => c.id === cid);

  t.test('one Get for inventory when sync is queued and inventory is stale; 404 on a node is not a failure', async (t) => {
    const sync = await queue({ action: 'sync' });
    const x = new DmSession(s, d, String(sid++));
    const r = await x.start();
    const gets = commands(r).filter((c) => c.kind === 'Get');
    t.equal(gets.length, 1, 'the inventory Get once');
    const items = gets[0].items.map((i: any) => i.target);
    const wlan = items.find((u: string) => u.endsWith('/WLANMACAddress'));
    await x.answer(r, (c, msgRef) => (c.kind === 'Get' ? items.map((u: string) => st(msgRef, c, u === wlan ? '404' : '200', u)) : [st(msgRef, c, '200')]));
    const c = await state(sync);
    t.equal(c.state, 'acked', 'a node this device lacks does not fail the inventory');
    t.same(c.detail.missing, [wlan], 'the missing node is recorded');
    t.equal(c.detail.items.find((i: any) => i.status === '404').index, items.indexOf(wlan));
    t.ok((await s.admin('GET', `/api/v1/devices/${id}`)).json.inventory.updatedAt, 'the sync counts as the inventory');
  });

  t.test('a status per item: the command fails at the item that failed', async (t) => {
    const byRef = await queue({ verb: 'Get', items: [{ target: './DevDetail/SwV' }, { target: './Vendor/X/Missing' }] });
    const x = new DmSession(s, d, String(sid++));
    const r = await x.start();
    await x.answer(r, (c, m) => (c.kind === 'Get' ? [st(m, c, '404', './Vendor/X/Missing'), st(m, c, '200', './DevDetail/SwV')] : [st(m, c, '200')]));
    let c = await state(byRef);
    t.equal(c.state, 'failed', 'TargetRef: a 404 on the second item fails the command (whatever the order)');
    t.equal(c.status, '404');
    t.match(c.error, /404 for \.\/Vendor\/X\/Missing$/);
    t.same(c.detail.items, [
      { index: 0, status: '200' },
      { index: 1, status: '404' },
    ]);

    const inOrder = await queue({
      verb: 'Replace',
      items: [
        { target: './Vendor/X/A', format: 'int', data: '1' },
        { target: './Vendor/X/B', format: 'int', data: '2' },
      ],
    });
    const y = new DmSession(s, d, String(sid++));
    const r2 = await y.start();
    await y.answer(r2, (c, m) => [st(m, c, '200'), st(m, c, '405')]);
    c = await state(inOrder);
    t.equal(c.state, 'failed', 'without TargetRef: statuses in item order');
    t.match(c.error, /405 for \.\/Vendor\/X\/B$/);
  });

  t.test('an Atomic answered only by its members', async (t) => {
    const member = (n: string) => ({ verb: 'Add', items: [{ target: `./Device/Vendor/MSFT/Policy/Config/M/${n}`, format: 'int', data: '1' }] });
    const bad = await queue({ verb: 'Atomic', commands: [member('One'), member('Two')] });
    const good = await queue({ verb: 'Atomic', commands: [member('Three'), member('Four')] });
    const x = new DmSession(s, d, String(sid++));
    const r = await x.start();
    const [a1, a2] = commands(r);
    const failing = a1.commands[1].cmdId;
    await x.answer(r, (c, m) => (c.kind === 'Atomic' ? [] : [st(m, c, c.cmdId === failing ? '425' : '200')]));
    const b = await state(bad);
    t.equal(b.state, 'failed', 'a member refused: the Atomic failed');
    t.equal(b.status, '425');
    t.match(b.error, /member 2 \(\.\/Device\/Vendor\/MSFT\/Policy\/Config\/M\/Two\): 425/);
    t.equal((await state(good)).state, 'acked', 'every member applied');
    t.ok(a2);
  });

  t.test('a Wi-Fi profile whose member was refused is not delivered', async (t) => {
    const p = await s.admin('POST', '/api/v1/profiles', { name: 'Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
    t.equal((await s.admin('POST', `/api/v1/profiles/${p.json.id}/assignments`, { targetType: 'device', targetId: id })).status, 201);
    const x = new DmSession(s, d, String(sid++));
    const r = await x.start();
    t.ok(
      commands(r).some((c) => c.kind === 'Atomic'),
      'the profile goes out in an Atomic',
    );
    await x.answer(r, (c, m) => (c.kind === 'Atomic' ? [] : [st(m, c, '425')]));
    const status = (await s.admin('GET', `/api/v1/profiles/${p.json.id}/status`)).json;
    t.equal(status.counts?.delivered ?? status.delivered ?? 0, 0, 'not delivered');
    t.match(JSON.stringify(status), /425/, 'the failure names the refusal');
  });

  t.test('an Atomic counts one attempt per delivery; a dropped session is resent at any package 1', async (t) => {
    const atomic = await queue({
      verb: 'Atomic',
      commands: [
        { verb: 'Replace', items: [{ target: './Vendor/X/P', format: 'int', data: '1' }] },
        { verb: 'Replace', items: [{ target: './Vendor/X/Q', format: 'int', data: '1' }] },
      ],
    });
    const same = String(sid++);
    const x = new DmSession(s, d, same);
    t.equal(commands(await x.start())[0].kind, 'Atomic');
    // The device drops off; Windows starts again with the same SessionID.
    t.equal((await state(atomic)).attempts, 1, 'one delivery, one attempt');
    const again = new DmSession(s, d, same);
    const r = await again.start();
    t.same(
      commands(r).map((c) => c.kind),
      ['Atomic'],
      'sent again at the package 1 of a session with the same SessionID',
    );
    const c = await state(atomic);
    t.equal(c.state, 'sent');
    t.equal(c.attempts, 2);
    await again.answer(r);
    t.equal((await state(atomic)).state, 'acked');
  });

  t.test('a DevInfo/DevId that is not the authenticated device is refused and flagged', async (t) => {
    const x = new DmSession(s, d, String(sid++));
    const forged = 'SOME-OTHER-DEVICE';
    const r = await x.start([
      {
        kind: 'Replace',
        cmdId: '5',
        items: [
          { source: './DevInfo/DevId', data: forged },
          { source: './DevInfo/Man', data: 'Evil Corp' },
        ],
      },
    ]);
    t.equal((r.body.find((c: any) => c.cmdRef === '5') as any).data, '403', 'the Replace is refused');
    const dev = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
    t.notMatch(JSON.stringify(dev.inventory ?? {}), /SOME-OTHER-DEVICE|Evil Corp/, 'nothing of it stored');
    t.ok(
      dev.recentAlerts.some((a: any) => a.type === 'fenestra/devinfo-devid-mismatch' && a.data === forged),
      'an alert for the admin',
    );
    const ok = new DmSession(s, d, String(sid++));
    const r2 = await ok.start([
      {
        kind: 'Replace',
        cmdId: '5',
        items: [
          { source: './DevInfo/DevId', data: id },
          { source: './DevInfo/Man', data: 'Contoso' },
        ],
      },
    ]);
    t.equal((r2.body.find((c: any) => c.cmdRef === '5') as any).data, '200');
    t.equal((await s.admin('GET', `/api/v1/devices/${id}`)).json.inventory.manufacturer, 'Contoso');
  });
});
