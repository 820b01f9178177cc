// The pieces of the fleet views that need no server: Windows edition names, CSV cells, and XML
// indented for reading.
import t from 'tap';
import { XmlError } from '../../src/protocol/xml.js';
import { prettyXml } from '../../src/protocol/xml-pretty.js';
import { csvCell, csvLine } from '../../src/service/fleet/csv.js';
import { edition, editionCodes } from '../../src/service/fleet/editions.js';

t.test('edition names', async (t) => {
  t.same(edition('4'), { code: 4, name: 'Enterprise' });
  t.same(edition('48'), { code: 48, name: 'Pro' });
  t.same(edition('101'), { code: 101, name: 'Home' });
  t.same(edition('121'), { code: 121, name: 'Education' });
  t.same(edition('125'), { code: 125, name: 'Enterprise LTSC' });
  t.same(edition('175'), { code: 175, name: 'Enterprise multi-session' });
  t.same(edition('12345'), { code: 12345, name: 'Unknown edition 12345' }, 'an unknown number keeps its number');
  t.same(edition('Windows 11 Enterprise'), { name: 'Windows 11 Enterprise' }, 'text that is not a number is a name already');
  t.same(edition(undefined), {});
  t.same(editionCodes('enterprise'), [4]);
  t.same(editionCodes(' PRO '), [48]);
  t.same(editionCodes('27'), [27]);
  t.same(editionCodes('Windows'), []);
});

t.test('CSV cells', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(42), '42');
  t.equal(csvCell(-1), '-1', 'a number is not a formula');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell(' padded '), '" padded "');
  for (const f of ['=1+1', '+33 1', '-2', '@SUM(A1)', '\t=1', '\r=1'])
    t.equal(csvCell(f)[0] === '"' ? csvCell(f)[1] : csvCell(f)[0], "'", `${JSON.stringify(f)} guarded`);
  t.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.equal(csvLine(['a', undefined, 'b,c']), 'a,,"b,c"\r\n');
});

/** Why prettyXml refused a document (XmlError's reason), or undefined if it did not. */
function refusal(xml: string): string | undefined {
  try {
    prettyXml(xml);
    return undefined;
  } catch (err) {
    return err instanceof XmlError ? err.reason : String(err);
  }
}

t.test('indented XML', async (t) => {
  const xml =
    '<?xml version="1.0"?><SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD></SyncHdr><SyncBody>' +
    '<Status><CmdID>1</CmdID><Data>200</Data></Status><Get><CmdID>2</CmdID><Item><Target><LocURI>./DevInfo/DevId</LocURI></Target></Item></Get>' +
    '<Status><CmdID>3</CmdID></Status><Replace><Item><Data><![CDATA[<wap-provisioningdoc/>]]></Data><Meta><Format xmlns="syncml:metinf">chr</Format></Meta></Item></Replace>' +
    '<Exec><Item><Data>a &amp; b &lt; c</Data></Item></Exec><Final/></SyncBody></SyncML>';
  t.equal(
    prettyXml(xml),
    [
      '<SyncML xmlns="SYNCML:SYNCML1.2">',
      '  <SyncHdr>',
      '    <VerDTD>1.2</VerDTD>',
      '  </SyncHdr>',
      '  <SyncBody>',
      '    <Status>',
      '      <CmdID>1</CmdID>',
      '      <Data>200</Data>',
      '    </Status>',
      '    <Get>',
      '      <CmdID>2</CmdID>',
      '      <Item>',
      '        <Target>',
      '          <LocURI>./DevInfo/DevId</LocURI>',
      '        </Target>',
      '      </Item>',
      '    </Get>',
      '    <Status>',
      '      <CmdID>3</CmdID>',
      '    </Status>',
      '    <Replace>',
      '      <Item>',
      '        <Data><![CDATA[<wap-provisioningdoc/>]]></Data>',
      '        <Meta>',
      '          <Format xmlns="syncml:metinf">chr</Format>',
      '        </Meta>',
      '      </Item>',
      '    </Replace>',
      '    <Exec>',
      '      <Item>',
      '        <Data>a &amp; b &lt; c</Data>',
      '      </Item>',
      '    </Exec>',
      '    <Final/>',
      '  </SyncBody>',
      '</SyncML>',
    ].join('\n'),
    'document order kept (Status, Get, Status, Replace…), CDATA and escapes kept',
  );
  t.equal(prettyXml('<a>\n  <b> x </b>\n</a>'), '<a>\n  <b> x </b>\n</a>', 'text inside an element is kept as it is');
  t.equal(refusal('<SyncML><SyncHdr>'), 'malformed', 'a truncated trace is not re-laid');
  t.equal(refusal('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'), 'doctype', 'no DOCTYPE');
  t.equal(refusal('<a>'.repeat(100) + '</a>'.repeat(100)), 'too_deep', 'bounded depth');
});
