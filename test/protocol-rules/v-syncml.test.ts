// MS-MDM: the server's SyncML messages of real sessions (the simulator's device checking in over
// mutual TLS), read as raw XML — not through the codec under test — against the rules of
// spec-notes §D, with the specification's literal values.
import crypto from 'node:crypto';
import t, { type Test } from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import type { TranscriptMessage } from '../../src/sim/dm-client.js';
import { type XmlElement, child, childText, children, parseXml } from '../../src/protocol/xml.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const COMMANDS = ['Add', 'Alert', 'Atomic', 'Copy', 'Delete', 'Exec', 'Get', 'Replace', 'Results', 'Sequence', 'Status'];

/** Every command of a SyncBody, the members of Atomic and Sequence included, in document order. */
function commandsOf(container: XmlElement | undefined): { name: string; el: XmlElement }[] {
  const out: { name: string; el: XmlElement }[] = [];
  // The parser keeps children by name; document order within one name is enough for these rules.
  for (const name of COMMANDS) {
    for (const el of children(container, name)) {
      out.push({ name, el });
      if (name === 'Atomic' || name === 'Sequence') out.push(...commandsOf(el));
    }
  }
  return out;
}

const serverMessages = (messages: TranscriptMessage[]) =>
  messages.filter((m) => m.direction === 'in' && m.xml.trim()).map((m) => child(parseXml(m.xml), 'SyncML')!);

t.test('SyncML of real sessions', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const aadDeviceId = crypto.randomUUID();
  const dev = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', deviceid: aadDeviceId }) },
  });
  const e = await dev.enroll();
  const id = e.entDmId;
  const queue = async (body: unknown) => {
    const r = await s.admin('POST', `/api/v1/devices/${id}/commands`, body);
    t.equal(r.status, 201, `queued ${JSON.stringify(body).slice(0, 60)}`);
  };
  await queue({ action: 'reboot' });
  await queue({
    verb: 'Atomic',
    commands: [
      { verb: 'Add', items: [{ target: './Device/Vendor/MSFT/Policy/Config/Experience/AllowCortana', format: 'int', data: '0' }] },
      { verb: 'Replace', items: [{ target: './Device/Vendor/MSFT/Policy/Config/Browser/AllowSmartScreen', format: 'int', data: '1' }] },
    ],
  });
  await queue({ verb: 'Get', items: [{ target: './DevDetail/SwV' }, { target: './DevDetail/OEM' }] });
  await queue({ verb: 'Delete', items: [{ target: './Device/Vendor/MSFT/Policy/Config/Experience/AllowCortana' }] });
  const r = await dev.checkin();
  t.equal(r.outcome, 'complete', r.error ?? 'session complete');
  const fromServer = serverMessages(r.messages);
  const fromDevice = r.messages.filter((m) => m.direction === 'out').map((m) => child(parseXml(m.xml), 'SyncML')!);
  t.ok(fromServer.length >= 2, 'several server messages');
  const sent = fromServer.flatMap((m) => commandsOf(child(m, 'SyncBody')));
  for (const k of ['Exec', 'Atomic', 'Get', 'Delete', 'Add', 'Replace', 'Status'])
    t.ok(
      sent.some((c) => c.name === k),
      `the server sent a ${k}`,
    );

  t.test('rule 70: VerDTD is 1.2 and VerProto DM/1.2 in every server SyncHdr', async (t) => {
    for (const m of fromServer) {
      const hdr = child(m, 'SyncHdr');
      t.equal(childText(hdr, 'VerDTD'), '1.2', `message ${childText(hdr, 'MsgID')}: VerDTD`);
      t.equal(childText(hdr, 'VerProto'), 'DM/1.2', `message ${childText(hdr, 'MsgID')}: VerProto`);
    }
  });

  t.test('rule 69: the root element is SyncML in namespace SYNCML:SYNCML1.2', async (t) => {
    for (const m of fromServer) t.equal(m['#ns'], 'SYNCML:SYNCML1.2');
  });

  t.test('rule 82: Add/Delete/Get/Replace carry at least one Item, Exec exactly one, Alert a CmdID and Data', async (t) => {
    for (const { name, el } of sent) {
      const items = children(el, 'Item').length;
      if (['Add', 'Delete', 'Get', 'Replace'].includes(name)) t.ok(items >= 1, `${name} ${childText(el, 'CmdID')}: ${items} Item(s)`);
      if (name === 'Exec') t.equal(items, 1, `Exec ${childText(el, 'CmdID')}: exactly one Item`);
      if (name === 'Alert') {
        t.match(childText(el, 'CmdID'), /^[1-9]\d*$/, 'Alert has a CmdID');
        t.match(childText(el, 'Data'), /^\d{4}$/, 'Alert has a Data code');
      }
    }
    t.ok(
      sent.some((c) => c.name === 'Get' && children(c.el, 'Item').length === 2),
      'the two-item Get went out as one Get',
    );
  });

  t.test('rule 85: no nested Atomic, no Get inside an Atomic in what the server sends', async (t) => {
    const atomics = sent.filter((c) => c.name === 'Atomic');
    t.ok(atomics.length >= 1, 'an Atomic was sent');
    for (const a of atomics) {
      const inner = commandsOf(a.el);
      t.notOk(
        inner.some((c) => c.name === 'Atomic'),
        'no nested Atomic',
      );
      t.notOk(
        inner.some((c) => c.name === 'Get'),
        'no Get inside',
      );
      const add = new Set(inner.filter((c) => c.name === 'Add').flatMap((c) => children(c.el, 'Item').map((i) => childText(child(i, 'Target'), 'LocURI'))));
      const replace = inner.filter((c) => c.name === 'Replace').flatMap((c) => children(c.el, 'Item').map((i) => childText(child(i, 'Target'), 'LocURI')));
      t.notOk(
        replace.some((u) => add.has(u)),
        'no Add and Replace of the same node',
      );
    }
  });

  const serverXml = r.messages.filter((m) => m.direction === 'in' && m.xml.trim()).map((m) => m.xml);
  const deviceSession = childText(child(fromDevice[0], 'SyncHdr'), 'SessionID');

  t.test('rule 71: every server message echoes the SessionID the device chose', async (t) => {
    t.ok(deviceSession, 'the device sent a SessionID');
    for (const m of fromServer) t.equal(childText(child(m, 'SyncHdr'), 'SessionID'), deviceSession);
  });

  t.test('rule 73: every command has a CmdID, unique within its message, never 0', async (t) => {
    for (const m of fromServer) {
      const ids = commandsOf(child(m, 'SyncBody')).map((c) => childText(c.el, 'CmdID'));
      for (const id of ids) t.match(id, /^[1-9]\d*$/, `CmdID ${id}`);
      t.equal(new Set(ids).size, ids.length, `message ${childText(child(m, 'SyncHdr'), 'MsgID')}: CmdIDs unique`);
    }
  });

  t.test('rule 74: the first command of every server message is the Status for the SyncHdr (CmdRef 0)', async (t) => {
    for (const x of serverXml) {
      const first = /<SyncBody>\s*<(\w+)>.*?<\/\1>/s.exec(x);
      t.equal(first?.[1], 'Status', 'first command is a Status');
      t.match(first?.[0], /<CmdRef>0<\/CmdRef><Cmd>SyncHdr<\/Cmd>/, 'for the SyncHdr');
    }
  });

  t.test('rule 76: a Status holds CmdID, MsgRef, CmdRef, Cmd and Data in that order', async (t) => {
    const all = serverXml.flatMap((x) => [...x.matchAll(/<Status>(.*?)<\/Status>/gs)].map((m) => m[1]));
    t.ok(all.length > 3);
    for (const st of all) {
      const at = ['<CmdID>', '<MsgRef>', '<CmdRef>', '<Cmd>', '<Data>'].map((tag) => st.indexOf(tag));
      t.ok(
        at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
        `in order: ${st.slice(0, 90)}`,
      );
      t.equal(at[0], 0, 'CmdID first');
    }
  });

  t.test('rule 80: Data is the last child of every Item', async (t) => {
    const items = serverXml.flatMap((x) => [...x.matchAll(/<Item>(.*?)<\/Item>/gs)].map((m) => m[1]));
    t.ok(items.length > 3);
    for (const it of items) if (it.includes('<Data')) t.match(it, /<\/Data>$|<Data\/>$/, `Data last: ${it.slice(0, 90)}`);
  });

  t.test('rule 81: SyncHdr children in DTD order (VerDTD, VerProto, SessionID, MsgID, Target, Source, RespURI?, Cred?, Meta?)', async (t) => {
    for (const x of serverXml) {
      const hdr = /<SyncHdr>(.*?)<\/SyncHdr>/s.exec(x)?.[1] ?? '';
      const names = [...hdr.matchAll(/<(\w+)[ >]/g)]
        .map((m) => m[1])
        .filter((n) => !['LocURI', 'LocName', 'Format', 'Type', 'NextNonce', 'MaxMsgSize'].includes(n));
      const order = ['VerDTD', 'VerProto', 'SessionID', 'MsgID', 'Target', 'Source', 'RespURI', 'NoResp', 'Cred', 'Meta'];
      t.same(names.slice(0, 6), order.slice(0, 6), 'the six required children first, in order');
      t.same(
        names,
        [...names].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
        `in DTD order: ${names.join(', ')}`,
      );
    }
  });

  t.test('rule 83: Meta children are in the syncml:metinf namespace', async (t) => {
    let metas = 0;
    const walk = (el: XmlElement) => {
      for (const [k, v] of Object.entries(el)) {
        if (!Array.isArray(v)) continue;
        for (const c of v) {
          if (k === 'Meta') {
            metas++;
            for (const [mk, mv] of Object.entries(c)) if (Array.isArray(mv)) for (const x of mv) t.equal(x['#ns'], 'syncml:metinf', `Meta/${mk}`);
          } else walk(c);
        }
      }
    };
    for (const m of fromServer) walk(m);
    t.ok(metas > 0, 'the server sent Meta');
  });

  t.test('rule 84: command LocURIs are relative (./…), never start with /, and use . only as the first segment', async (t) => {
    const uris = sent
      .filter((c) => c.name !== 'Status')
      .flatMap((c) => children(c.el, 'Item').flatMap((i) => [childText(child(i, 'Target'), 'LocURI'), childText(child(i, 'Source'), 'LocURI')]))
      .filter((u): u is string => u !== undefined);
    t.ok(uris.length > 3);
    for (const u of uris) {
      t.ok(u.startsWith('./'), `${u} starts with ./`);
      t.notOk(
        u
          .split('/')
          .slice(1)
          .some((seg) => seg === '.' || seg === '..' || seg === ''),
        `${u}: no ., .. or empty segment after the first`,
      );
    }
  });

  t.test('rule 86: the server sends no Correlator and addresses no ACL property', async (t) => {
    for (const x of serverXml) {
      t.notMatch(x, /<Correlator[\s>/]/, 'no Correlator');
      t.notMatch(x, /\?prop=ACL|\?list=ACL|\/ACL</i, 'no ACL');
    }
  });

  t.test('rule 77: a Status for a multi-item command carries no SourceRef or TargetRef', async (t) => {
    // The device's package 1 Replace of its DevInfo nodes has several items; one Status covers them.
    const multi = fromDevice.flatMap((m) => commandsOf(child(m, 'SyncBody'))).filter((c) => c.name !== 'Status' && children(c.el, 'Item').length > 1);
    t.ok(multi.length >= 1, 'the device sent a command with several items');
    const statuses = sent.filter((c) => c.name === 'Status');
    for (const c of multi) {
      const st = statuses.filter((x) => childText(x.el, 'CmdRef') === childText(c.el, 'CmdID') && childText(x.el, 'Cmd') === c.name);
      t.equal(st.length, 1, `${c.name} ${childText(c.el, 'CmdID')}: one Status for all its items`);
      t.notOk(child(st[0]?.el, 'SourceRef'), 'no SourceRef');
      t.notOk(child(st[0]?.el, 'TargetRef'), 'no TargetRef');
    }
    for (const x of statuses) {
      t.notOk(child(x.el, 'SourceRef') ?? child(x.el, 'TargetRef'), `Status ${childText(x.el, 'CmdID')} (${childText(x.el, 'Cmd')}): no SourceRef/TargetRef`);
    }
  });
});

t.test('rule 85: the admin API refuses nested Atomic and Get inside an Atomic (and Add and Replace of one node in an Atomic)', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const aadDeviceId = crypto.randomUUID();
  const dev = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', deviceid: aadDeviceId }) },
  });
  const { entDmId } = await dev.enroll();
  const node = './Device/Vendor/MSFT/Policy/Config/Experience/AllowCortana';
  const add = { verb: 'Add', items: [{ target: node, format: 'int', data: '0' }] };
  const cases: [string, unknown, RegExp][] = [
    ['nested Atomic', { verb: 'Atomic', commands: [add, { verb: 'Atomic', commands: [add] }] }, /\/commands\/1/],
    ['Get inside Atomic', { verb: 'Atomic', commands: [add, { verb: 'Get', items: [{ target: './DevDetail/SwV' }] }] }, /\/commands/],
    [
      'Get in a Sequence inside Atomic',
      { verb: 'Atomic', commands: [{ verb: 'Sequence', commands: [{ verb: 'Get', items: [{ target: './DevDetail/SwV' }] }] }] },
      /\/commands/,
    ],
  ];
  const refused = async (t: Test, name: string, body: unknown, field: RegExp) => {
    const r = await s.admin('POST', `/api/v1/devices/${entDmId}/commands`, body);
    t.equal(r.status, 400, `${name}: 400`);
    t.match(JSON.stringify(r.json), field, `${name}: names the field`);
  };
  for (const [name, body, field] of cases) await refused(t, name, body, field);
  const list = await s.admin('GET', `/api/v1/devices/${entDmId}/commands`);
  t.equal(list.json.commands?.length, 0, 'nothing queued');

  t.test('rule 85: Add and Replace of one node in one Atomic are refused, naming the later command', async (t) => {
    const replace = (target: string) => ({ verb: 'Replace', items: [{ target, format: 'int', data: '1' }] });
    const pointerOf = async (body: unknown) => {
      const r = await s.admin('POST', `/api/v1/devices/${entDmId}/commands`, body);
      t.equal(r.status, 400, `400: ${JSON.stringify(r.json)}`);
      return r.json?.error?.pointer;
    };
    const sameNode: [string, unknown, string][] = [
      ['the same LocURI', { verb: 'Atomic', commands: [add, replace(node)] }, '/commands/1'],
      ['./Device/… and ./… (one device tree)', { verb: 'Atomic', commands: [add, replace(node.replace('./Device/', './'))] }, '/commands/1'],
      [
        'Replace first, then Add; another command between',
        { verb: 'Atomic', commands: [replace(node), { verb: 'Delete', items: [{ target: './Vendor/MSFT/Other' }] }, add] },
        '/commands/2',
      ],
      [
        '%7B…%7D and {…} (Windows unescapes node names)',
        {
          verb: 'Atomic',
          commands: [replace('./Vendor/MSFT/X/%7Babc%7D/V'), { verb: 'Add', items: [{ target: './Device/Vendor/MSFT/X/{abc}/V', data: 'a' }] }],
        },
        '/commands/1',
      ],
      ['in a Sequence inside the Atomic', { verb: 'Atomic', commands: [add, { verb: 'Sequence', commands: [replace(node)] }] }, '/commands/1/commands/0'],
      [
        'a second item of the Replace',
        {
          verb: 'Atomic',
          commands: [
            add,
            {
              verb: 'Replace',
              items: [
                { target: './Vendor/MSFT/Y', data: 'a' },
                { target: node, format: 'int', data: '1' },
              ],
            },
          ],
        },
        '/commands/1',
      ],
    ];
    for (const [name, body, pointer] of sameNode) t.equal(await pointerOf(body), pointer, `${name}: the pointer of the later command`);
    t.equal((await s.admin('GET', `/api/v1/devices/${entDmId}/commands`)).json.commands?.length, 0, 'nothing queued');
    // Not the rule: other nodes, a node below the other, case (node names are case-sensitive), or outside an Atomic.
    const accepted: [string, unknown][] = [
      ['another node', { verb: 'Atomic', commands: [add, replace(`${node}Other`)] }],
      ['a node below', { verb: 'Atomic', commands: [{ verb: 'Add', items: [{ target: './Vendor/MSFT/Z', format: 'node' }] }, replace('./Vendor/MSFT/Z/V')] }],
      ['./User/… is another tree', { verb: 'Atomic', commands: [add, replace(node.replace('./Device/', './User/'))] }],
      ['in a Sequence, not an Atomic', { verb: 'Sequence', commands: [add, replace(node)] }],
    ];
    for (const [name, body] of accepted) t.equal((await s.admin('POST', `/api/v1/devices/${entDmId}/commands`, body)).status, 201, `${name}: queued`);
  });
});
