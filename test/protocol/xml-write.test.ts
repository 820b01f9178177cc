// The one XML escaper: what XML 1.0 cannot carry is refused (strict) or replaced (lenient), CR
// survives a reader, surrogate pairs pass, and what each builder writes reads back.
import t, { type Test } from 'tap';
import { XmlCharError, el, empty, esc, escLenient, escText, escTextLenient, opt, tx } from '../../src/protocol/xml-write.js';
import { buildSoapEnvelope, buildSoapFault } from '../../src/protocol/soap.js';
import { buildSyncML, parseSyncML, type SyncMLMessage } from '../../src/protocol/syncml/index.js';
import { childText, parseXml, path as xmlPath } from '../../src/protocol/xml.js';
import { DEFAULT_POLL, buildProvisioningDoc } from '../../src/protocol/wap.js';

/** Throws an XmlCharError (t.throws with a class matches by name only, and its name is RangeError). */
function refuses(t: Test, fn: () => unknown, msg: string): void {
  try {
    fn();
    t.fail(msg + ': nothing thrown');
  } catch (err) {
    t.ok(err instanceof XmlCharError, msg);
  }
}

// One representative of each class outside XML 1.0's Char production.
const FORBIDDEN: [string, string, number][] = [
  ['NUL', 'a\u0000b', 0x0],
  ['C0 control before tab', 'a\u0008b', 0x8],
  ['vertical tab', 'a\u000bb', 0xb],
  ['form feed', 'a\u000cb', 0xc],
  ['C0 control after CR', 'a\u000eb', 0xe],
  ['unit separator', 'a\u001fb', 0x1f],
  ['U+FFFE', 'a\ufffeb', 0xfffe],
  ['U+FFFF', 'a\uffffb', 0xffff],
  ['lone high surrogate', 'a\ud800b', 0xd800],
  ['lone low surrogate', 'a\udc00b', 0xdc00],
  ['high surrogate at the end', 'ab\udbff', 0xdbff],
  ['low surrogate first', '\udfffab', 0xdfff],
  ['reversed pair', 'a\ude00\ud83db', 0xde00],
];

t.test('strict escapers refuse every character XML 1.0 forbids, with its code point and offset', async (t) => {
  for (const [what, s, cp] of FORBIDDEN) {
    for (const [name, f] of [
      ['esc', esc],
      ['escText', escText],
    ] as const) {
      let err: unknown;
      try {
        f(s);
      } catch (e) {
        err = e;
      }
      t.ok(err instanceof XmlCharError, `${name}: ${what} refused`);
      t.ok(err instanceof RangeError, `${name}: ${what} is a RangeError`);
      if (err instanceof XmlCharError) {
        t.equal(err.codePoint, cp, `${name}: ${what} code point`);
        t.equal(s.charCodeAt(err.index), cp, `${name}: ${what} offset`);
      }
    }
    refuses(t, () => tx('a', s), `tx: ${what}`);
    refuses(t, () => el('a', { v: s }), `attribute: ${what}`);
  }
  t.throws(() => esc('a\u0007'), { message: 'U+0007 cannot be carried in XML 1.0 text' });
  t.throws(() => esc('\ud800'), { message: 'unpaired surrogate U+D800 cannot be carried in XML 1.0 text' });
});

t.test('the characters XML 1.0 allows pass, at the edges of each range', async (t) => {
  const allowed = ['\t', '\n', ' ', '\u007f', '\u0085', '\ud7ff', '\ue000', '\ufffd', '\u{10000}', '\u{10ffff}', '😀', 'été 中文'];
  for (const s of allowed) {
    t.equal(esc(s), s, `esc ${JSON.stringify(s)}`);
    t.equal(escText(s), s, `escText ${JSON.stringify(s)}`);
  }
  t.equal(esc('a😀b\u{1f600}'), 'a😀b\u{1f600}', 'surrogate pairs are one character');
  t.equal(esc('<😀&'), '&lt;😀&amp;', 'pairs survive the slow path too');
});

t.test('markup characters and CR', async (t) => {
  t.equal(esc(`<a href="x">&'\r`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#13;');
  t.equal(escText(`<a href="x">&'\r`), `&lt;a href="x"&gt;&amp;'&#13;`, 'element content: quotes as they are');
  t.equal(esc('plain'), 'plain');
  t.equal(esc('\r\n'), '&#13;\n');

  // CR written literally would reach a reader as LF; &#13; reads back as CR, in text and in attributes.
  const doc = parseXml(el('a', { v: 'x\ry' }, tx('b', 'p\r\nq'), el('c', null, escText('r\rs'))));
  t.equal(childText(xmlPath(doc, 'a')!, 'b'), 'p\r\nq');
  t.equal(childText(xmlPath(doc, 'a')!, 'c'), 'r\rs');
  t.equal(xmlPath(doc, 'a')!['@v'], 'x\ry');
});

t.test('lenient escapers write U+FFFD where the strict ones refuse, and agree with them elsewhere', async (t) => {
  for (const [what, s] of FORBIDDEN) {
    t.equal(escLenient(s), s.replace(/[^ab]/g, '\ufffd'), `escLenient: ${what}`);
    t.equal(escTextLenient(s), s.replace(/[^ab]/g, '\ufffd'), `escTextLenient: ${what}`);
  }
  for (const s of [`<a href="x">&'\r`, 'a😀b', 'plain', '']) {
    t.equal(escLenient(s), esc(s));
    t.equal(escTextLenient(s), escText(s));
  }
});

t.test('element writer', async (t) => {
  const written = el('a', { k: `"&'` }, tx('b', 1), false, null, undefined, '', opt('c', undefined), opt('d', true));
  t.equal(written, '<a k="&quot;&amp;&apos;"><b>1</b><d>true</d></a>');
  t.equal(empty('p', { name: 'x', value: '<' }), '<p name="x" value="&lt;"/>');
  t.equal(empty('p'), '<p/>');
});

t.test('the builders: strict on what we write, lenient on what we echo', async (t) => {
  const hdr = { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: 'dev', sourceUri: 'srv' };
  const replace = (data: string): SyncMLMessage => ({ hdr, body: [{ kind: 'Replace', cmdId: '2', items: [{ target: './x', data }] }], final: true });
  refuses(t, () => buildSyncML(replace('a\ud800')), 'SyncML: lone surrogate');
  const cr = buildSyncML(replace('a\rb "q"'));
  t.ok(cr.includes('<Data>a&#13;b "q"</Data>'));
  t.equal((parseSyncML(cr).body[0] as { items: { data?: string }[] }).items[0].data, 'a\rb "q"');

  const doc = {
    root: { thumbprint: 'A'.repeat(40), base64: 'QQ==' },
    client: { thumbprint: 'B'.repeat(40), base64: 'Qg==' },
    clientStore: 'User' as const,
    clientSubject: 'CN=u@contoso.com',
    providerId: 'fenestra',
    serverName: 'fenestra',
    managementUrl: 'https://mdm.example.com/ManagementServer/MDM.svc',
    appSrvAuth: { name: 'dev-1', secret: 's' },
    clientAuth: { name: 'server', secret: 's', nonceBase64: 'bm9uY2U=' },
    dmClient: { entDmId: 'dm-1', poll: DEFAULT_POLL },
  };
  refuses(t, () => buildProvisioningDoc({ ...doc, serverName: 'bell\u0007' }), 'provisioning document: configured name');
  refuses(t, () => buildSoapEnvelope({ action: 'urn:a\uffff', activityId: 'x' }, '<b/>'), 'SOAP: our own action');

  // The device's MessageID and reasons quoting its input are echoed: the fault is always written.
  const fault = buildSoapFault(
    { subcode: 's:MessageFormat', reason: 'This endpoint does not serve the action ' + 'x😀'.slice(0, 2) + '\u0001', errorType: 'NotSupported' },
    { action: 'urn:reply', relatesTo: 'urn:uuid:\udc00', activityId: 'a', traceId: 't' },
  );
  const parsed = parseXml(fault);
  t.equal(childText(xmlPath(parsed, 'Envelope', 'Header')!, 'RelatesTo'), 'urn:uuid:\ufffd');
  t.equal(xmlPath(parsed, 'Envelope', 'Body', 'Fault', 'Reason', 'Text')!['#text'], 'This endpoint does not serve the action x\ufffd\ufffd');
});

t.test('SyncML echoes of device text are strict yet cannot throw: parseSyncML accepts nothing the writer refuses', async (t) => {
  const odd = 'x&#13;&#xD7FF;&#xE000;&#xFFFD;&#x10FFFF;😀&lt;"\'';
  const wrapped = (v: string) =>
    `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>${v}</SessionID><MsgID>1</MsgID>` +
    `<Target><LocURI>${v}</LocURI></Target><Source><LocURI>${v}</LocURI></Source></SyncHdr>` +
    `<SyncBody><Replace><CmdID>${v}</CmdID><Item><Source><LocURI>${v}</LocURI></Source><Data>${v}</Data></Item></Replace><Final/></SyncBody></SyncML>`;
  const msg = parseSyncML(wrapped(odd));
  const cmd = msg.body[0] as { cmdId: string; items: { source?: string }[] };
  const reply = buildSyncML({
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: msg.hdr.sessionId, msgId: '1', targetUri: msg.hdr.sourceUri, sourceUri: msg.hdr.targetUri },
    body: [{ kind: 'Status', cmdId: '1', msgRef: msg.hdr.msgId, cmdRef: cmd.cmdId, cmd: 'Replace', data: '200', sourceRef: [cmd.items[0].source!], items: [] }],
    final: true,
  });
  const back = parseSyncML(reply);
  t.equal(back.hdr.sessionId, msg.hdr.sessionId);
  t.equal((back.body[0] as { cmdRef: string }).cmdRef, 'x\r\ud7ff\ue000\ufffd\u{10ffff}😀<"\'');
  // What the parser refuses never reaches the writer.
  for (const bad of ['&#1;', '&#xFFFE;', '&#xD800;', '\u0001', '\uffff']) t.throws(() => parseSyncML(wrapped(bad)), JSON.stringify(bad));
});
