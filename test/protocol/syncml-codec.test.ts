// SyncML codec: build → parse round trips for every command kind, the writer's exact output
// (DTD order, metinf namespaces, escaping), and Item Data exactness (WLAN profile, whitespace,
// CDATA, raw child markup, non-ASCII).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { wellFormed } from '../helpers/xmllint.js';
import {
  buildCommand,
  buildSyncML,
  byteLength,
  commandByteLength,
  parseSyncML,
  type SyncCommand,
  type SyncHdr,
  type SyncMLMessage,
} from '../../src/protocol/syncml/index.js';
import { parseXml } from '../../src/protocol/xml.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'syncml');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const HDR: SyncHdr = {
  verDTD: '1.2',
  verProto: 'DM/1.2',
  sessionId: '1A',
  msgId: '2',
  targetUri: 'B5B954E81FBCB94EB79BD08BE625F4EE',
  sourceUri: 'https://mdm.example.com/ManagementServer/MDM.svc',
};

/** Wrap a SyncBody fragment (or the commands of one) into a minimal SyncML message. */
function wrap(fragment: string, final = false): string {
  const inner = fragment.trimStart().startsWith('<SyncBody') ? fragment : `<SyncBody>${fragment}${final ? '<Final/>' : ''}</SyncBody>`;
  return (
    '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
    '<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>https://mdm.example.com/</LocURI></Target>' +
    `<Source><LocURI>DEVICE</LocURI></Source></SyncHdr>${inner}</SyncML>`
  );
}

function roundTrip(msg: SyncMLMessage): SyncMLMessage {
  return parseSyncML(buildSyncML(msg));
}

t.test('round trip: every command kind', async (t) => {
  const body: SyncCommand[] = [
    { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '212', items: [] },
    {
      kind: 'Status',
      cmdId: '2',
      msgRef: '1',
      cmdRef: '0',
      cmd: 'SyncHdr',
      data: '401',
      chal: { meta: { format: 'b64', type: 'syncml:auth-md5', nextNonce: 'ZmVuZXN0cmE=' } },
      items: [],
    },
    {
      kind: 'Status',
      cmdId: '3',
      msgRef: '1',
      cmdRef: '4',
      cmd: 'Replace',
      targetRef: ['./DevInfo/DevId', './DevInfo/Man'],
      sourceRef: ['./DevInfo/Mod'],
      data: '200',
      items: [{ source: './DevInfo/Lang', data: 'en-US' }],
    },
    { kind: 'Alert', cmdId: '4', data: '1201', items: [] },
    {
      kind: 'Alert',
      cmdId: '5',
      data: '1226',
      items: [
        {
          source: './Vendor/MSFT/ClientCertificateInstall/SCEP/abc/Install/Enroll',
          meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int', mark: 'critical' },
          data: '1',
        },
      ],
    },
    { kind: 'Get', cmdId: '6', items: [{ target: './DevDetail/SwV' }, { target: './DevDetail/Ext/Microsoft/DeviceName' }] },
    { kind: 'Add', cmdId: '7', meta: { format: 'node' }, items: [{ target: './User/Vendor/MSFT/EMAIL2/{A1B2}' }] },
    { kind: 'Replace', cmdId: '8', items: [{ target: './Vendor/MSFT/Policy/Config/Camera/AllowCamera', meta: { format: 'int' }, data: '0' }] },
    { kind: 'Delete', cmdId: '9', items: [{ target: './Vendor/MSFT/WiFi/Profile/Old' }] },
    {
      kind: 'Exec',
      cmdId: '10',
      items: [{ target: './Vendor/MSFT/DMClient/Provider/fenestra/Unenroll', meta: { format: 'chr', type: 'text/plain' }, data: 'fenestra' }],
    },
    {
      kind: 'Atomic',
      cmdId: '11',
      meta: { type: 'text/plain' },
      commands: [
        { kind: 'Add', cmdId: '12', items: [{ target: './Vendor/MSFT/VPNv2/Corp/Server', data: 'vpn.example.com' }] },
        {
          kind: 'Sequence',
          cmdId: '13',
          commands: [
            { kind: 'Replace', cmdId: '14', items: [{ target: './a', data: '1' }] },
            { kind: 'Atomic', cmdId: '15', commands: [{ kind: 'Delete', cmdId: '16', items: [{ target: './b' }] }] },
            { kind: 'Alert', cmdId: '17', data: '1222', items: [] },
            { kind: 'Exec', cmdId: '18', items: [{ target: './c' }] },
            { kind: 'Get', cmdId: '19', items: [{ target: './d' }] },
          ],
        },
      ],
    },
    { kind: 'Sequence', cmdId: '20', commands: [] },
    {
      kind: 'Results',
      cmdId: '21',
      msgRef: '2',
      cmdRef: '6',
      meta: { format: 'chr' },
      targetRef: ['./DevDetail/SwV'],
      sourceRef: ['./DevDetail/SwV'],
      items: [
        { source: './DevDetail/SwV', meta: { format: 'chr', type: 'text/plain' }, data: '10.0.19043.2364' },
        { source: './DevDetail/Ext/Microsoft/DeviceName', data: 'DESKTOP-1' },
      ],
    },
    { kind: 'Results', cmdId: '22', cmdRef: '6', items: [{ source: './Vendor/MSFT/WiFi/Profile', meta: { format: 'node' }, data: 'A/B' }] },
    {
      kind: 'Add',
      cmdId: '23',
      items: [
        { target: './Vendor/MSFT/RootCATrustedCertificates/Root/abc/EncodedCertificate', meta: { format: 'b64', size: 4096 }, data: 'QUJD', moreData: true },
      ],
    },
  ];
  const full: SyncMLMessage = {
    hdr: {
      ...HDR,
      sourceName: 'demio',
      cred: { format: 'b64', type: 'syncml:auth-md5', data: 'dGVzdA==' },
      meta: { maxMsgSize: 524288, maxObjSize: 4194304 },
    },
    body,
    final: true,
  };
  t.strictSame(roundTrip(full), full, 'everything survives build → parse');
  const notFinal = { hdr: HDR, body: body.slice(0, 3), final: false };
  t.strictSame(roundTrip(notFinal), notFinal, 'final=false: no <Final/>');
  const empty = { hdr: HDR, body: [], final: true };
  t.strictSame(roundTrip(empty), empty, 'an empty body');
  const cred = { hdr: { ...HDR, cred: { data: 'x' } }, body: [], final: false };
  t.strictSame(roundTrip(cred), cred, 'Cred without Meta');

  const xml = buildSyncML(full);
  t.ok(await wellFormed(xml), 'xmllint accepts the output');
  t.notOk(await wellFormed(xml.replace('</SyncHdr>', '')), 'the check can fail');
  t.ok(parseXml(xml), 'the shared strict reader accepts the output');
});

t.test('build: exact output', async (t) => {
  const msg: SyncMLMessage = {
    hdr: HDR,
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      { kind: 'Get', cmdId: '2', items: [{ target: './DevDetail/SwV' }] },
      { kind: 'Replace', cmdId: '3', items: [{ target: './Vendor/MSFT/A', meta: { format: 'int', type: 'text/plain' }, data: '1' }] },
    ],
    final: true,
  };
  t.equal(
    buildSyncML(msg),
    '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1A</SessionID>' +
      '<MsgID>2</MsgID><Target><LocURI>B5B954E81FBCB94EB79BD08BE625F4EE</LocURI></Target>' +
      '<Source><LocURI>https://mdm.example.com/ManagementServer/MDM.svc</LocURI></Source></SyncHdr><SyncBody>' +
      '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>' +
      '<Get><CmdID>2</CmdID><Item><Target><LocURI>./DevDetail/SwV</LocURI></Target></Item></Get>' +
      '<Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/MSFT/A</LocURI></Target><Meta>' +
      '<Format xmlns="syncml:metinf">int</Format><Type xmlns="syncml:metinf">text/plain</Type></Meta><Data>1</Data></Item></Replace>' +
      '<Final/></SyncBody></SyncML>',
  );
  t.equal(
    buildSyncML({ hdr: { ...HDR, verDTD: '1.1', verProto: 'DM/1.1' }, body: [], final: false }).slice(0, 33),
    '<SyncML xmlns="SYNCML:SYNCML1.1">',
    'VerDTD 1.1 → SYNCML1.1 namespace',
  );
});

t.test('build: DTD element order', async (t) => {
  const order = (xml: string, names: string[]) => {
    let at = -1;
    for (const n of names) {
      const i = xml.indexOf(`<${n}`, at + 1);
      if (i <= at) return `${n} out of order`;
      at = i;
    }
    return 'ok';
  };
  const hdr = buildSyncML({
    hdr: { ...HDR, sourceName: 'u', cred: { format: 'b64', type: 'syncml:auth-basic', data: 'eA==' }, meta: { maxObjSize: 2, maxMsgSize: 1 } },
    body: [],
    final: false,
  });
  t.equal(
    order(hdr, [
      'SyncHdr',
      'VerDTD',
      'VerProto',
      'SessionID',
      'MsgID',
      'Target',
      'LocURI',
      'Source',
      'LocURI',
      'LocName',
      'Cred',
      'Meta',
      'Format',
      'Type',
      'Data',
      'Meta',
      'MaxMsgSize',
      'MaxObjSize',
    ]),
    'ok',
    'SyncHdr: VerDTD, VerProto, SessionID, MsgID, Target, Source, Cred, Meta',
  );
  const status = buildCommand({
    kind: 'Status',
    cmdId: '9',
    msgRef: '1',
    cmdRef: '3',
    cmd: 'Add',
    targetRef: ['t1', 't2'],
    sourceRef: ['s1'],
    chal: { meta: { nextNonce: 'bm9uY2U=', type: 'syncml:auth-md5', format: 'b64' } },
    data: '401',
    items: [{ data: 'x' }],
  });
  t.equal(
    order(status, [
      'Status',
      'CmdID',
      'MsgRef',
      'CmdRef',
      'Cmd>',
      'TargetRef',
      'TargetRef',
      'SourceRef',
      'Chal',
      'Meta',
      'Format',
      'Type',
      'NextNonce',
      'Data',
      'Item',
    ]),
    'ok',
    'Status: CmdID, MsgRef, CmdRef, Cmd, TargetRef*, SourceRef*, Chal, Data, Item*',
  );
  const results = buildCommand({
    kind: 'Results',
    cmdId: '4',
    msgRef: '2',
    cmdRef: '3',
    meta: { format: 'chr' },
    targetRef: ['t'],
    sourceRef: ['s'],
    items: [{ target: 'a', source: 'b', meta: { size: 3, format: 'b64', type: 'x', mark: 'm' }, data: 'QUJD', moreData: true }],
  });
  t.equal(
    order(results, [
      'Results',
      'CmdID',
      'MsgRef',
      'CmdRef',
      'Meta',
      'TargetRef',
      'SourceRef',
      'Item',
      'Target',
      'Source',
      'Meta',
      'Format',
      'Type',
      'Mark',
      'Size',
      'Data',
      'MoreData',
    ]),
    'ok',
    'Results: CmdID, MsgRef, CmdRef, Meta, TargetRef, SourceRef, Item; Item: Target, Source, Meta, Data, MoreData',
  );
  t.notMatch(results + status + hdr, /<(Format|Type|Mark|Size|NextNonce|MaxMsgSize|MaxObjSize)>/, 'every Meta child declares syncml:metinf');
  t.notMatch(results + status + hdr, />\s+</, 'no whitespace between elements');
  t.notMatch(buildSyncML({ hdr: HDR, body: [], final: true }), /<\?xml/, 'no XML declaration');
});

t.test('build: escaping', async (t) => {
  const item = { target: './a&b<c>', meta: { type: 'x&y' }, data: 'if (a < b && c > d) ]]> "q" \'a\'' };
  const xml = buildCommand({ kind: 'Replace', cmdId: '<1>', items: [item] });
  t.equal(
    xml,
    '<Replace><CmdID>&lt;1&gt;</CmdID><Item><Target><LocURI>./a&amp;b&lt;c&gt;</LocURI></Target><Meta><Type xmlns="syncml:metinf">x&amp;y</Type></Meta>' +
      '<Data>if (a &lt; b &amp;&amp; c &gt; d) ]]&gt; "q" \'a\'</Data></Item></Replace>',
  );
  const back = roundTrip({ hdr: { ...HDR, sessionId: 'a&b' }, body: [{ kind: 'Replace', cmdId: '1', items: [item] }], final: true });
  t.equal(back.hdr.sessionId, 'a&b');
  t.strictSame((back.body[0] as { items: unknown[] }).items[0], item);
  t.throws(
    () => buildSyncML({ hdr: HDR, body: [{ kind: 'Replace', cmdId: '1', items: [{ data: 'bell\u0007' }] }], final: true }),
    RangeError,
    'C0 control refused',
  );
  t.throws(() => buildSyncML({ hdr: HDR, body: [{ kind: 'Replace', cmdId: '1', items: [{ data: '\uffff' }] }], final: true }), RangeError, 'U+FFFF refused');
  t.throws(() => buildSyncML({ hdr: { ...HDR, meta: { maxMsgSize: -1 } }, body: [], final: true }), RangeError, 'negative size refused');
});

t.test('byteLength: message = envelope + Σ commands', async (t) => {
  const body: SyncCommand[] = [
    { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
    { kind: 'Replace', cmdId: '2', items: [{ target: './Vendor/MSFT/Nom', data: 'été 中文 😀' }] },
  ];
  const msg = { hdr: HDR, body, final: true };
  t.equal(byteLength(msg), Buffer.byteLength(buildSyncML(msg)));
  t.equal(byteLength(msg), byteLength({ ...msg, body: [] }) + body.reduce((n, c) => n + commandByteLength(c), 0));
  t.equal(commandByteLength(body[1]), Buffer.byteLength(buildCommand(body[1])));
  t.ok(commandByteLength(body[1]) > buildCommand(body[1]).length, 'counts UTF-8 bytes, not UTF-16 units');
});

t.test('Item Data exactness', async (t) => {
  t.test('WLAN profile XML (escaped in Data) survives parse → build → parse byte for byte', async (t) => {
    const fragment = fixture('docs-wifi-csp-add-peap-trustedrootca-fragment.xml');
    const escaped = /<Data>([\s\S]*?)<\/Data>/.exec(fragment)![1];
    const expected = escaped
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    t.ok(expected.startsWith('<?xml version="1.0"?><WLANProfile xmlns="http://www.microsoft.com/networking/WLAN/profile/v1">'));
    t.ok(expected.endsWith('</WLANProfile> '), 'the trailing space before </Data> is data');

    const first = parseSyncML(wrap(fragment));
    const atomic = first.body[0];
    if (atomic.kind !== 'Atomic') throw new Error('expected Atomic');
    t.equal(atomic.cmdId, '300');
    const add = atomic.commands[0];
    if (add.kind !== 'Add') throw new Error('expected Add');
    t.equal(add.cmdId, '301');
    const item = add.items[0];
    t.equal(item.target, './Vendor/MSFT/WiFi/Profile/MyNetwork/WlanXml');
    t.strictSame(item.meta, { format: 'chr' });
    t.equal(item.data, expected);
    t.notOk(item.dataIsXml, 'escaped text is text, not markup');
    t.ok(item.data!.includes('<TrustedRootCA> InsertCertThumbPrintHere </TrustedRootCA>'), 'inner spaces kept');

    const rebuilt = buildSyncML(first);
    const second = parseSyncML(rebuilt);
    t.strictSame(second, first);
    const again = (second.body[0] as typeof atomic).commands[0] as typeof add;
    t.ok(Buffer.from(again.items[0].data!, 'utf8').equals(Buffer.from(expected, 'utf8')), 'same bytes');
    t.equal(parseSyncML(Buffer.from(rebuilt)).body.length, 1, 'from a Buffer too');
  });

  t.test('leading/trailing whitespace and newlines are data', async (t) => {
    const values = ['  padded  ', '\n\tline1\n  line2\n', '\r\nCRLF\r\n', ' ', '', 'a\r\rb', '\t'];
    for (const data of values) {
      const msg: SyncMLMessage = { hdr: HDR, body: [{ kind: 'Replace', cmdId: '1', items: [{ target: './x', data }] }], final: true };
      t.strictSame(roundTrip(msg), msg, JSON.stringify(data));
    }
    const parsed = parseSyncML(wrap('<Replace><CmdID>1</CmdID><Item><Target><LocURI>\n  ./x \n</LocURI></Target><Data>\n  v  \n</Data></Item></Replace>'));
    const item = (parsed.body[0] as { items: { target?: string; data?: string }[] }).items[0];
    t.equal(item.target, './x', 'LocURI trimmed');
    t.equal(item.data, '\n  v  \n', 'Data untouched');
    const crlf = parseSyncML(wrap('<Replace><CmdID>1</CmdID><Item><Data>a\r\nb&#13;&#10;c</Data></Item></Replace>'));
    t.equal((crlf.body[0] as { items: { data?: string }[] }).items[0].data, 'a\nb\r\nc', 'literal CRLF is normalised by XML; &#13; is kept');
  });

  t.test('CDATA', async (t) => {
    const parsed = parseSyncML(
      wrap('<Add><CmdID>1</CmdID><Item><Data> <![CDATA[<WLANProfile a="&amp;">\n</WLANProfile>]]>&amp;<![CDATA[]]]]><![CDATA[>]]> </Data></Item></Add>'),
    );
    const item = (parsed.body[0] as { items: { data?: string; dataIsXml?: boolean }[] }).items[0];
    t.equal(item.data, ' <WLANProfile a="&amp;">\n</WLANProfile>&]]> ');
    t.notOk(item.dataIsXml);
    t.strictSame(roundTrip(parsed), parsed);
  });

  t.test('raw child markup (Format xml sent unescaped)', async (t) => {
    const raw = '<Application id="{ProductID}" flags="0" skuid=" "/>';
    const parsed = parseSyncML(wrap(`<Exec><CmdID>1</CmdID><Item><Meta><Format xmlns="syncml:metinf">xml</Format></Meta><Data>${raw}</Data></Item></Exec>`));
    const item = (parsed.body[0] as { items: { data?: string; dataIsXml?: boolean }[] }).items[0];
    t.equal(item.data, raw, 'inner markup verbatim');
    t.equal(item.dataIsXml, true);
    const xml = buildSyncML(parsed);
    t.ok(xml.includes(`<Data>${raw}</Data>`), 'written back raw');
    t.strictSame(parseSyncML(xml), parsed);

    // Verbatim: entity references, comments, CDATA, odd spacing, whitespace around, nested names
    // that mean something in SyncML (they are not read as SyncML), non-ASCII.
    const tricky = '\n  <p:a xmlns:p="urn:x" b = \'1\'>x &amp; &#233; <!-- c --><![CDATA[<y>]]><Data><Item/></Data><b/></p:a >\n  text é中 <Meta/>\n';
    const p2 = parseSyncML(wrap(`<Exec><CmdID>2</CmdID><Item><Data >${tricky}</Data  ></Item></Exec><Final/>`));
    t.equal((p2.body[0] as { items: { data?: string }[] }).items[0].data, tricky);
    t.equal(p2.final, true, 'parsing resumes after the raw Data');
    t.strictSame(roundTrip(p2), p2);

    const emam = parseSyncML(wrap(fixture('docs-emam-storeinstall-exec-fragment.xml')));
    const ei = (emam.body[0] as { items: { data?: string; dataIsXml?: boolean; meta?: unknown }[] }).items[0];
    t.equal(ei.data, '\n      <Application id="{ProductID}" flags="0" skuid=" " />\n    ', 'published EnterpriseModernAppManagement StoreInstall');
    t.strictSame(ei.meta, { format: 'xml' });
    t.strictSame(roundTrip(emam), emam);

    const fromBuffer = parseSyncML(Buffer.from(wrap(`<Exec><CmdID>1</CmdID><Item><Data>é<a>中😀</a></Data></Item></Exec>`)));
    t.equal((fromBuffer.body[0] as { items: { data?: string }[] }).items[0].data, 'é<a>中😀</a>', 'slicing is by string index after decoding');
  });

  t.test('non-ASCII round trip', async (t) => {
    const data = 'Café é 中文 Ωμέγα 😀 \u00a0nbsp\u00a0';
    const msg: SyncMLMessage = {
      hdr: { ...HDR, sourceName: 'José' },
      body: [{ kind: 'Replace', cmdId: '1', items: [{ target: './User/Vendor/MSFT/EMAIL2/{X}/AccountName', data }] }],
      final: true,
    };
    t.strictSame(roundTrip(msg), msg);
    t.strictSame(parseSyncML(Buffer.from(buildSyncML(msg), 'utf8')), msg, 'through UTF-8 bytes');
  });
});
