// Sealed values are removed from the outbound trace as the SyncML writer wrote them: with quotes
// as they are and CR as &#13; (they used to be looked up with quotes escaped, and stayed).
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { traceBody } from '../../src/service/management/trace.js';

const HDR = { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '2', targetUri: 'dev', sourceUri: 'srv' };

t.test('a secret with markup, quotes or CR is redacted from the trace', async (t) => {
  for (const secret of [`it's "quoted"`, 'a<b>&c', 'line1\r\nline2', 'plain-value', 'ünïcødé 😀 secret']) {
    const xml = buildSyncML({ hdr: HDR, body: [{ kind: 'Replace', cmdId: '3', items: [{ target: './Vendor/MSFT/Custom/Node', data: secret }] }], final: true });
    const { body, truncated } = traceBody(xml, 64 * 1024, [secret]);
    t.notOk(truncated);
    t.ok(body.includes('<Data>[redacted]</Data>'), JSON.stringify(secret));
    t.equal(body, xml.replace(/<Data>[^<]*<\/Data>/, '<Data>[redacted]</Data>'), `only the secret changes: ${JSON.stringify(secret)}`);
  }
});

t.test('a secret holding a character XML cannot carry does not fail the trace', async (t) => {
  const xml = buildSyncML({ hdr: HDR, body: [{ kind: 'Replace', cmdId: '3', items: [{ target: './x', data: 'harmless' }] }], final: true });
  t.equal(traceBody(xml, 64 * 1024, ['bell\u0007\ud800']).body, xml);
});
