// SyncML reader against hostile and broken input: every refusal is a SyncMLError with the HTTP
// status the server should answer (400 malformed, 413 too large, 415 not SyncML) and a message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { SyncMLError, parseSyncML, type ParseLimits } from '../../src/protocol/syncml/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'syncml');
const S07 = fs.readFileSync(path.join(FIXTURES, '07_management_session1_msg1_request_device.xml'), 'utf8');

const HDR =
  '<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>' +
  '<Target><LocURI>https://mdm.example.com/</LocURI></Target><Source><LocURI>DEVICE</LocURI></Source></SyncHdr>';
const wrap = (commands: string, root = '<SyncML xmlns="SYNCML:SYNCML1.2">') => `${root}${HDR}<SyncBody>${commands}<Final/></SyncBody></SyncML>`;

function refusal(input: string | Buffer, limits?: ParseLimits): { status: number; message: string } | string {
  try {
    parseSyncML(input, limits);
  } catch (err) {
    if (err instanceof SyncMLError) return { status: err.httpStatus, message: err.message };
    return `not a SyncMLError: ${String(err)}`;
  }
  return 'accepted';
}

function refused(t: Tap, input: string | Buffer, status: number, message: RegExp, name: string, limits?: ParseLimits) {
  const r = refusal(input, limits);
  if (typeof r === 'string') return t.fail(`${name}: ${r}`);
  t.equal(r.status, status, `${name}: HTTP ${status}`);
  t.match(r.message, message, `${name}: ${r.message}`);
}

type Tap = Pick<typeof t, 'equal' | 'match' | 'fail'>;

t.test('DOCTYPE and entities', async (t) => {
  refused(t, `<!DOCTYPE SyncML [<!ENTITY x "y">]>${wrap('<Alert><CmdID>1</CmdID><Data>&x;</Data></Alert>')}`, 400, /DOCTYPE/, 'internal entity');
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
    ']>' +
    wrap('<Alert><CmdID>1</CmdID><Data>&lol9;</Data></Alert>');
  refused(t, laughs, 400, /DOCTYPE/, 'billion laughs');
  refused(t, `<!DOCTYPE SyncML SYSTEM "file:///etc/passwd">${wrap('')}`, 400, /DOCTYPE/, 'external DTD');
  refused(
    t,
    `<!DOCTYPE SyncML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wrap('<Alert><CmdID>1</CmdID><Data>&xxe;</Data></Alert>')}`,
    400,
    /DOCTYPE/,
    'XXE',
  );
  refused(t, wrap('<Alert><CmdID>1</CmdID><Data>&xxe;</Data></Alert>'), 400, /malformed/, 'undeclared entity reference');
  refused(t, wrap('<Alert><CmdID>1</CmdID><Data>&#0;</Data></Alert>'), 400, /malformed/, 'character reference to NUL');
  refused(t, `${wrap('')}<!DOCTYPE SyncML>`, 400, /malformed/, 'DOCTYPE after the root');
  refused(t, wrap('<Alert><CmdID>1</CmdID><Data><!DOCTYPE x></Data></Alert>'), 400, /malformed/, 'DOCTYPE inside an element');
  // Only a real declaration is refused: the same characters as data are data.
  const cdata = parseSyncML(wrap('<Replace><CmdID>1</CmdID><Item><Data><![CDATA[<!DOCTYPE html><!ENTITY x "y">]]></Data></Item></Replace><!-- <!DOCTYPE -->'));
  t.equal(
    (cdata.body[0] as { items: { data?: string }[] }).items[0].data,
    '<!DOCTYPE html><!ENTITY x "y">',
    '"<!DOCTYPE" inside CDATA or a comment is not a declaration',
  );
});

t.test('size and depth', async (t) => {
  const big = wrap(`<Replace><CmdID>1</CmdID><Item><Data>${'A'.repeat(2 * 1024 * 1024)}</Data></Item></Replace>`);
  refused(t, big, 413, /exceeds the 1048576-byte limit/, '2 MiB string');
  refused(t, Buffer.from(big), 413, /exceeds/, '2 MiB Buffer');
  refused(t, Buffer.from('é'.repeat(400_000)), 413, /800000 bytes/, 'limit is in UTF-8 bytes', { maxBytes: 700_000 });
  refused(t, 'é'.repeat(400_000), 413, /800000 bytes/, 'limit is in UTF-8 bytes for strings too, not characters', { maxBytes: 700_000 });
  refused(t, S07, 413, /exceeds the 1000-byte limit/, 'custom maxBytes', { maxBytes: 1000 });

  const deep = wrap(`<Add><CmdID>1</CmdID><Item>${'<Meta>'.repeat(5000)}${'</Meta>'.repeat(5000)}</Item></Add>`);
  refused(t, deep, 400, /nesting deeper than 24 levels/, '5000-deep nesting');
  refused(
    t,
    wrap(`<Add><CmdID>1</CmdID><Item><Data>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</Data></Item></Add>`),
    400,
    /deeper/,
    'deep raw markup in Data',
  );
  refused(t, `<SyncML xmlns="SYNCML:SYNCML1.2">${'<x>'.repeat(5000)}`, 400, /deeper/, 'deep and unclosed');
  t.equal(parseSyncML(S07, { maxDepth: 6 }).body.length, 3, 'fleet 07 fits in 6 levels (SyncML/SyncBody/Alert/Item/Meta/Type)');
  refused(t, S07, 400, /deeper than 5/, 'custom maxDepth', { maxDepth: 5 });

  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => `<Get><CmdID>${i + 1}</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Get>`).join('');
  t.equal(parseSyncML(wrap(many(2000))).body.length, 2000, '2000 commands accepted');
  refused(t, wrap(many(2001)), 413, /more than 2000 commands/, '2001 commands');
  refused(t, wrap(`<Atomic><CmdID>1</CmdID>${many(3)}</Atomic>`), 413, /more than 3 commands/, 'nested commands count', { maxCommands: 3 });
  const items = (n: number) => `<Replace><CmdID>1</CmdID>${'<Item><Data>x</Data></Item>'.repeat(n)}</Replace>`;
  t.equal(parseSyncML(wrap(items(2000))).body.length, 1, '2000 items accepted');
  refused(t, wrap(items(2001)), 413, /more than 2000 items/, '2001 items');
  refused(t, wrap(`<Status><CmdID>1</CmdID><Data>200</Data>${'<Item/>'.repeat(6)}</Status>`), 413, /Status command has more than 5 items/, 'custom maxItems', {
    maxItems: 5,
  });
});

t.test('not XML, not well-formed, truncated', async (t) => {
  refused(t, '', 400, /empty/, 'empty');
  refused(t, Buffer.alloc(0), 400, /empty/, 'empty Buffer');
  refused(t, ' \r\n\t ', 400, /empty/, 'whitespace');
  refused(t, 'hello world', 400, /malformed/, 'text');
  refused(t, '{"SyncML":{}}', 400, /malformed/, 'JSON');
  refused(t, Buffer.from([0x00, 0x01, 0x02, 0x6a, 0x00, 0x00, 0x45]), 400, /malformed/, 'WBXML-looking bytes');
  refused(t, '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr></SyncML>', 400, /malformed/, 'mismatched tags');
  refused(t, `${wrap('')}<SyncML xmlns="SYNCML:SYNCML1.2"/>`, 400, /malformed/, 'two roots');
  refused(t, `${wrap('')}trailing`, 400, /malformed/, 'text after the root');
  refused(t, wrap('<Alert a="1" a="2"><CmdID>1</CmdID></Alert>'), 400, /malformed/, 'duplicate attribute');
  refused(t, wrap('<x:Alert><CmdID>1</CmdID></x:Alert>'), 400, /malformed/, 'unbound prefix');
  refused(t, wrap('<Alert><CmdID>1</CmdID><Data>a & b</Data></Alert>'), 400, /malformed/, 'raw &');
  refused(t, wrap('<Alert><CmdID>1</CmdID><Data>\u0001</Data></Alert>'), 400, /malformed/, 'C0 control character');

  const bad = Buffer.concat([
    Buffer.from(wrap('<Alert><CmdID>1</CmdID><Data>').replace(/<Final\/>.*$/, '')),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('</Data></Alert></SyncBody></SyncML>'),
  ]);
  refused(t, bad, 400, /not valid UTF-8/, 'invalid UTF-8');
  refused(t, Buffer.from([0xef, 0xbb, 0xbf, 0xff, 0xfe]), 400, /not valid UTF-8/, 'BOM then invalid bytes');
  refused(t, Buffer.from(wrap('').replace('1.2</VerDTD>', '1.2\xed\xa0\x80</VerDTD>'), 'latin1'), 400, /not valid UTF-8/, 'encoded surrogate');

  const s07 = S07.trimEnd();
  for (const cut of [10, s07.length / 2, s07.length - 12, s07.length - 1]) {
    refused(t, s07.slice(0, Math.floor(cut)), 400, /malformed/, `truncated at ${Math.floor(cut)} of ${s07.length}`);
  }
  t.equal(parseSyncML(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(S07)])).hdr.sessionId, '1', 'a UTF-8 BOM is accepted');
});

t.test('wrong root or namespace → 415; lax namespace spelling accepted', async (t) => {
  refused(t, '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>', 415, /root element is <Envelope>/, 'SOAP envelope');
  refused(t, '<html><body>hi</body></html>', 415, /not a SyncML message/, 'HTML');
  refused(t, wrap('', '<SyncML>'), 415, /root namespace is ""/, 'no namespace');
  refused(t, wrap('', '<SyncML xmlns="SYNCML:SYNCML2.0">'), 415, /SYNCML:SYNCML2\.0/, 'unknown version');
  refused(t, wrap('', '<SyncML xmlns="syncml:metinf">'), 415, /namespace/, 'metinf namespace');
  refused(t, wrap('', '<SyncML xmlns="urn:example">'), 415, /namespace/, 'foreign namespace');
  refused(t, '<syncml xmlns="SYNCML:SYNCML1.2"/>', 415, /root element is <syncml>/, 'element names are case-sensitive');

  for (const ns of ['syncml:SYNCML1.2', 'SyncML:SyncML1.2', 'SYNCML:SYNCML1.1', ' SYNCML:SYNCML1.2 ']) {
    t.equal(parseSyncML(wrap('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', `<SyncML xmlns="${ns}">`)).body.length, 1, `xmlns="${ns}" accepted`);
  }
  const prefixed = parseSyncML(
    '<s:SyncML xmlns:s="SYNCML:SYNCML1.2" xmlns:m="syncml:metinf"><s:SyncHdr><s:VerDTD>1.2</s:VerDTD><s:SessionID>7</s:SessionID></s:SyncHdr>' +
      '<s:SyncBody><s:Alert><s:CmdID>1</s:CmdID><s:Data>1224</s:Data><s:Item><s:Meta><m:Type>t</m:Type></s:Meta><s:Data>d</s:Data></s:Item></s:Alert><s:Final/></s:SyncBody></s:SyncML>',
  );
  t.equal(prefixed.hdr.sessionId, '7', 'prefixed names are read by namespace');
  t.strictSame(prefixed.body, [{ kind: 'Alert', cmdId: '1', data: '1224', items: [{ meta: { type: 't' }, data: 'd' }] }]);
  t.equal(prefixed.final, true);

  const metaInSyncmlNs = parseSyncML(wrap('<Alert><CmdID>1</CmdID><Data>1224</Data><Item><Meta><Type>t</Type><Format>chr</Format></Meta></Item></Alert>'));
  t.strictSame(
    (metaInSyncmlNs.body[0] as { items: unknown[] }).items,
    [{ meta: { type: 't', format: 'chr' } }],
    'Meta children in the SyncML namespace tolerated',
  );
  const metaOnMeta = parseSyncML(wrap('<Alert><CmdID>1</CmdID><Data>1224</Data><Item><Meta xmlns="syncml:metinf"><Type>t</Type></Meta></Item></Alert>'));
  t.strictSame((metaOnMeta.body[0] as { items: unknown[] }).items, [{ meta: { type: 't' } }], 'xmlns="syncml:metinf" on Meta itself');
  const foreignMeta = parseSyncML(wrap('<Alert><CmdID>1</CmdID><Data>1224</Data><Item><Meta><Type xmlns="urn:other">t</Type></Meta></Item></Alert>'));
  t.strictSame((foreignMeta.body[0] as { items: unknown[] }).items, [{ meta: {} }], 'a Meta child in a foreign namespace is not Meta');

  t.match(refusal(wrap('').replace(/<SyncHdr>.*<\/SyncHdr>/, '')), { status: 400, message: /no SyncHdr/ }, 'no SyncHdr');
  t.match(refusal(`<SyncML xmlns="SYNCML:SYNCML1.2">${HDR}</SyncML>`), { status: 400, message: /no SyncBody/ }, 'no SyncBody');
  t.match(
    refusal(wrap('').replace('<SyncHdr>', '<SyncHdr xmlns="urn:other">')),
    { status: 400, message: /no SyncHdr/ },
    'a SyncHdr in another namespace is not the SyncHdr',
  );
});

t.test('tolerated oddities: unknown elements, missing CmdID, attributes, stray text', async (t) => {
  const msg = parseSyncML(
    wrap(
      '<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>' +
        '<Sync><CmdID>2</CmdID></Sync>' +
        'stray text' +
        '<Replace><Item><Target><LocURI>./a</LocURI></Target><Data>1</Data></Item></Replace>' +
        '<Atomic><CmdID>4</CmdID><Status><CmdID>5</CmdID></Status><Copy/><Add><CmdID>6</CmdID></Add></Atomic>' +
        '<Status><CmdID>7</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Add</Cmd><Data msft:originalerror="0x8007000D" xmlns:msft="http://schemas.microsoft.com/MobileDevice/MDM"> 500 </Data></Status>' +
        '<Results><CmdID>8</CmdID><CmdRef>9</CmdRef><Cmd>Get</Cmd><NoResp/><Item><Source><LocURI>./b</LocURI></Source><Data/></Item></Results>' +
        '<x:Vendor xmlns:x="urn:x"/>',
    ).replace('<SyncBody>', '<SyncBody xmlns:msft="http://schemas.microsoft.com/MobileDevice/MDM">'),
  );
  t.strictSame(msg.unknown, ['Sync', 'Status', 'Copy', 'Vendor'], 'unknown elements recorded, in document order');
  t.strictSame(
    msg.body.map((c) => [c.kind, c.cmdId]),
    [
      ['Alert', '1'],
      ['Replace', ''],
      ['Atomic', '4'],
      ['Status', '7'],
      ['Results', '8'],
    ],
    'missing CmdID → ""',
  );
  t.strictSame((msg.body[2] as { commands: unknown[] }).commands, [{ kind: 'Add', cmdId: '6', items: [] }], 'Status inside Atomic is not a member');
  t.equal((msg.body[3] as { data: string }).data, '500', 'Status Data attributes ignored, code trimmed');
  t.strictSame(msg.body[4], { kind: 'Results', cmdId: '8', cmdRef: '9', items: [{ source: './b', data: '' }] }, 'no MsgRef; empty <Data/> is ""');
  t.equal(msg.final, true);

  const blanks = parseSyncML(wrap('<Status/>'));
  t.strictSame(blanks.body, [{ kind: 'Status', cmdId: '', msgRef: '', cmdRef: '', cmd: '', data: '', items: [] }], 'an empty Status reads as blanks');

  const meta = parseSyncML(
    wrap(
      '<Add><CmdID>1</CmdID><Item><Meta><Size xmlns="syncml:metinf">12x</Size><MaxObjSize xmlns="syncml:metinf"> 77 </MaxObjSize><EMI xmlns="syncml:metinf">e</EMI></Meta></Item></Add>',
    ),
  );
  t.strictSame((meta.body[0] as { items: unknown[] }).items, [{ meta: { maxObjSize: 77 } }], 'non-numeric Size ignored; unknown Meta children ignored');
});
