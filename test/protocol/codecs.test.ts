import { parseXml } from '../../src/protocol/xml.js';
const tries: Record<string, string | Buffer> = {
  rawAmpAttr: '<a b="x&y"/>',
  rawAmpText: '<a>x & y</a>',
  undeclared: '<a>&xxe;</a>',
  nul: '<a>&#0;</a>',
  ctrl: '<a>\u0001</a>',
  ltAttr: '<a b="<"/>',
  amp: '<a b="&amp;">&amp;&lt;&#65;&#x42;</a>',
  twoRoots: '<a/><b/>',
  mismatched: '<a><b></a></b>',
  bom: '\ufeff<a>x</a>',
  dupAttr: '<a b="1" b="2"/>',
  unquoted: '<a b=1/>',
  textOnly: 'hello',
  cdata: '<a><![CDATA[<b><c>]]></a>',
  ws: '<a>  x  <b/> y </a>',
  undeclaredPrefix: '<p:a/>',
  badutf8: Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]),
  deep: '<a>'.repeat(40) + '</a>'.repeat(40),
  depth32: '<a>'.repeat(32) + '</a>'.repeat(32),
  depth33: '<a>'.repeat(33) + '</a>'.repeat(33),
  attrGt: '<a x=">" y=\'>\'><b/></a>',
  comment: '<a><!-- <b><c> --></a>',
  utf16: Buffer.from('\ufeff<a>x</a>', 'utf16le'),
  xmldecl16: '<?xml version="1.0" encoding="UTF-16"?><a/>',
};
for (const [k, v] of Object.entries(tries)) {
  try { console.log(k, 'OK', JSON.stringify(parseXml(v))); } catch (e: any) { console.log(k, 'ERR', e.reason, e.message); }
}
