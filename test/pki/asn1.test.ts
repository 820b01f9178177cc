// The DER builder writes the encodings X.690 prescribes, and the reader refuses what is not strict DER (BER only when asked).
import t from 'tap';
import { bitString, bool, embedDer, int, oid, seq, setOf, time, tlv, uintFromBytes, utf8 } from '../../src/pki/asn1-build.js';
import { parseDer, readOid, readSmallInt } from '../../src/pki/asn1-read.js';
import { reasonOf } from './helpers.js';

const hex = (b: Buffer): string => b.toString('hex');
const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('tlv: minimal definite lengths at every boundary', async (t) => {
  for (const [n, header] of [
    [0, '0400'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65535, '0482ffff'],
    [65536, '0483010000'],
  ] as const) {
    const der = tlv(0x04, Buffer.alloc(n, 0xaa));
    t.equal(hex(der.subarray(0, header.length / 2)), header, `${n} content octets`);
    t.equal(der.length, header.length / 2 + n);
    t.equal(parseDer(der, { what: 'x' }).content.length, n, 'the strict reader takes it back');
  }
  t.equal(hex(tlv(0x30, h('0101ff'), h('0500'))), '30050101ff0500', 'contents are concatenated');
});

t.test('primitive encodings', async (t) => {
  t.equal(hex(oid('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
  t.equal(hex(oid('2.5.29.14')), '0603551d0e');
  t.equal(hex(oid('2.999.3')), '0603883703', 'X.690 8.19.5 example: first subidentifier over 127');
  t.equal(hex(oid('1.3.6.1.4.1.311.20.2.3')), '060a2b0601040182371402' + '03');
  for (const bad of ['1', '3.1', '1.40', '1.2.x', '1..2', '1.02'])
    t.equal(
      reasonOf(() => oid(bad)),
      'invalid-input',
      bad,
    );

  t.equal(hex(int(0)), '020100');
  t.equal(hex(int(127)), '02017f');
  t.equal(hex(int(128)), '02020080', 'a 0x00 keeps it positive');
  t.equal(hex(int(65536)), '0203010000');
  t.equal(
    reasonOf(() => int(-1)),
    'invalid-input',
  );
  t.equal(hex(uintFromBytes(h('000080'))), '02020080', 'leading zeros dropped, sign octet added');
  t.equal(hex(uintFromBytes(h('00000001'))), '020101');
  t.equal(hex(uintFromBytes(Buffer.alloc(0))), '020100');

  t.equal(hex(bool(true)), '0101ff');
  t.equal(hex(bool(false)), '010100');
  t.equal(hex(bitString(h('abcd'))), '030300abcd');
  t.equal(hex(utf8('é')), '0c02c3a9');
});

t.test('times: UTCTime through 2049, GeneralizedTime from 2050 and before 1950, whole seconds', async (t) => {
  const ascii = (b: Buffer) => `${b[0].toString(16)}:${b.subarray(2).toString('latin1')}`;
  t.equal(ascii(time(new Date('2049-12-31T23:59:59.999Z'))), '17:491231235959Z');
  t.equal(ascii(time(new Date('2050-01-01T00:00:00Z'))), '18:20500101000000Z');
  t.equal(ascii(time(new Date('1999-02-03T04:05:06Z'))), '17:990203040506Z');
  t.equal(ascii(time(new Date('2005-06-07T08:09:10Z'))), '17:050607080910Z');
  t.equal(ascii(time(new Date('1949-12-31T23:59:59Z'))), '18:19491231235959Z');
  t.equal(ascii(time(new Date('9999-12-31T23:59:59Z'))), '18:99991231235959Z');
});

t.test('SET OF is sorted by encoding', async (t) => {
  t.equal(hex(setOf(h('0403bbbbbb'), h('0401aa'), h('0201ff'))), '310b' + '0201ff' + '0401aa' + '0403bbbbbb');
});

t.test('embedDer keeps the bytes of strict DER and refuses the rest', async (t) => {
  const der = seq(int(1), utf8('x'));
  t.equal(embedDer(der, 'x'), der);
  t.equal(
    reasonOf(() => embedDer(h('3081030201 01'), 'x')),
    'malformed',
    'non-minimal length',
  );
  t.equal(
    reasonOf(() => embedDer(h('3080020101 0000'), 'x')),
    'malformed',
    'indefinite length',
  );
  t.equal(
    reasonOf(() => embedDer(Buffer.concat([der, h('00')]), 'x')),
    'malformed',
    'trailing byte',
  );
});

t.test('the reader: strict DER, BER only when asked', async (t) => {
  const der = (b: Buffer) => reasonOf(() => parseDer(b, { what: 'x' }));
  const ber = (b: Buffer) => reasonOf(() => parseDer(b, { what: 'x', ber: true }));
  t.equal(der(h('3003020101')), '(no error)');
  t.equal(der(Buffer.alloc(0)), 'malformed', 'empty');
  t.equal(der(h('1f0100')), 'malformed', 'high tag number');
  t.equal(der(h('3f2200')), 'malformed', 'high tag number, constructed');
  t.equal(der(h('30030201')), 'malformed', 'truncated value');
  t.equal(der(h('3082')), 'malformed', 'truncated length');
  t.equal(der(h('30')), 'malformed', 'truncated header');
  t.equal(der(h('3003020101 00')), 'malformed', 'trailing byte');
  t.equal(der(h('30040201010500')), 'malformed', 'child overruns its parent');
  t.equal(der(h('308103020101')), 'malformed', 'long form for a short length');
  t.equal(ber(h('308103020101')), '(no error)', '... which BER allows');
  t.equal(der(h('30820003020101')), 'malformed', 'leading zero length octet');
  t.equal(der(h('3085000000000300')), 'malformed', 'length of more than 4 octets');
  t.equal(der(h('3080020101 0000')), 'malformed', 'indefinite length');
  t.equal(ber(h('3080020101 0000')), '(no error)', '... which BER allows');
  t.equal(ber(h('3080020101')), 'malformed', 'BER: missing end-of-contents');
  t.equal(ber(h('0480 0000')), 'malformed', 'BER: primitive with indefinite length');
  t.equal(der(h('1e03006100')), 'malformed', 'odd-length BMPString');
  const deep = (n: number): Buffer => (n === 0 ? h('0500') : seq(deep(n - 1)));
  t.equal(der(deep(32)), '(no error)', '32 levels of nesting');
  t.equal(der(deep(33)), 'malformed', '33 levels of nesting');

  const p = parseDer(h('3080 0201 05 a0 03 0401 aa 0000'), { what: 'x', ber: true });
  t.equal(hex(p.raw), '30800201 05a0030401aa0000'.replace(/\s/g, ''), 'raw keeps the end-of-contents');
  t.equal(hex(p.content), '020105a0030401aa', 'content does not');
  t.equal(p.children.length, 2);
  t.equal(readSmallInt(p.children[0], 'x'), 5);
  t.equal(hex(p.children[1].children[0].content), 'aa');
  t.ok(p.constructed);
  t.notOk(p.children[0].constructed);
});

t.test('readOid decodes what oid encodes and refuses non-minimal or oversized subidentifiers', async (t) => {
  const read = (b: Buffer) => readOid(parseDer(b, { what: 'x' }), 'x');
  for (const o of [
    '0.9.2342.19200300.100.1.1',
    '1.2.840.113549.1.1.11',
    '1.39.1',
    '2.5.4.3',
    '2.999.3',
    '2.40.1',
    '1.3.6.1.4.1.311.20.2.3',
    '1.2.9007199254740991',
  ]) {
    t.equal(read(oid(o)), o);
  }
  const bad = (b: string) => reasonOf(() => read(h(b)));
  t.equal(bad('0600'), 'malformed', 'empty');
  t.equal(bad('06022a86'), 'malformed', 'last subidentifier unfinished');
  t.equal(bad('06032a8001'), 'malformed', 'subidentifier with a leading 0x80');
  t.equal(bad('0603802a01'), 'malformed', 'first subidentifier with a leading 0x80');
  t.equal(bad('060a2a9080808080808080 00'.replace(/ /g, '')), 'malformed', 'subidentifier beyond 2^53');
  t.equal(
    reasonOf(() => readOid(parseDer(h('020101'), { what: 'x' }), 'x')),
    'malformed',
    'not an OID',
  );
});
