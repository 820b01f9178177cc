// MS-XCEP / MS-MDE2 §3.3: the GetPoliciesResponse a real server sends, read against the rules of
// spec-notes §D with the specification's literal values (not the codec's constants).
import t from 'tap';
import { getPoliciesMessage } from '../../src/sim/enroll-messages.js';
import { type XmlElement, attr, child, childText, children, parseXml, path } from '../../src/protocol/xml.js';
import { startTestServer } from '../helpers/server.js';

const P = '/EnrollmentServer/Policy.svc';
const isNil = (el: XmlElement | undefined) => attr(el, 'nil') === 'true';

t.test('GetPoliciesResponse of a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const password = 'correct horse battery';
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'ada', password })).status, 201);
  const r = await s.soap(P, getPoliciesMessage(s.publicUrl + P, { kind: 'password', username: 'ada', password }));
  t.equal(r.status, 200);
  const xml = r.text();
  const env = child(parseXml(xml), 'Envelope');
  const gpr = path(env, 'Body', 'GetPoliciesResponse');
  t.ok(gpr, 'a GetPoliciesResponse');
  const response = child(gpr, 'response');
  const policies = children(child(response, 'policies'), 'policy');
  const oids = children(child(gpr, 'oIDs'), 'oID');
  t.ok(policies.length >= 1, 'at least one policy');
  t.ok(oids.length >= 1, 'at least one oID');
  const attrs = (p: XmlElement) => child(p, 'attributes');

  t.test('rule 10: a:Action is the GetPoliciesResponse action with s:mustUnderstand="1"', async (t) => {
    const action = child(child(env, 'Header'), 'Action');
    t.equal(childText(child(env, 'Header'), 'Action'), 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse');
    t.equal(attr(action, 'mustUnderstand'), '1');
  });

  t.test('rule 17: policySchema is 3 in every policy', async (t) => {
    for (const p of policies) t.equal(childText(attrs(p), 'policySchema'), '3');
  });

  t.test('rule 18: hashAlgorithmOIDReference refers to an oID of the same response (SHA-256, hash group 1)', async (t) => {
    for (const p of policies) {
      const ref = childText(attrs(p), 'hashAlgorithmOIDReference');
      t.ok(ref && /^\d+$/.test(ref), 'a reference, not nil');
      const oid = oids.find((o) => childText(o, 'oIDReferenceID') === ref);
      t.ok(oid, `oIDReferenceID ${ref} exists in the response`);
      t.equal(childText(oid, 'value'), '2.16.840.1.101.3.4.2.1', 'it is SHA-256');
      t.equal(childText(oid, 'group'), '1', 'in the hash algorithm group');
    }
  });

  t.test('rule 19: policyOIDReference refers to an existing oIDReferenceID', async (t) => {
    const ids = oids.map((o) => childText(o, 'oIDReferenceID'));
    for (const p of policies) {
      const ref = childText(p, 'policyOIDReference');
      t.ok(ref !== undefined && ref !== '', 'policyOIDReference present');
      t.ok(ids.includes(ref), `policyOIDReference ${ref} is one of ${ids.join(', ')}`);
    }
  });

  t.test('rule 20: oIDReferenceID values are unique integers within the response', async (t) => {
    const ids = oids.map((o) => childText(o, 'oIDReferenceID') ?? '');
    for (const id of ids) t.match(id, /^-?\d+$/, `${id} is an integer`);
    t.equal(new Set(ids).size, ids.length);
  });

  t.test('rule 21: every oID has a non-empty defaultName', async (t) => {
    for (const o of oids) t.ok((childText(o, 'defaultName') ?? '').length > 0, `oID ${childText(o, 'value')} named`);
  });

  t.test('rule 22: oID/group is within 1..9', async (t) => {
    for (const o of oids) {
      const g = Number(childText(o, 'group'));
      t.ok(Number.isInteger(g) && g >= 1 && g <= 9, `group ${g}`);
    }
  });

  t.test('rule 23: commonName is unique within the response', async (t) => {
    const names = policies.map((p) => childText(attrs(p), 'commonName') ?? '');
    for (const n of names) t.ok(n.length > 0, 'commonName present');
    t.equal(new Set(names).size, names.length);
  });

  t.test('rule 24: validityPeriodSeconds and renewalPeriodSeconds are > 0', async (t) => {
    for (const p of policies) {
      const v = child(attrs(p), 'certificateValidity');
      for (const name of ['validityPeriodSeconds', 'renewalPeriodSeconds']) {
        const n = Number(childText(v, name));
        t.ok(Number.isInteger(n) && n > 0, `${name} = ${childText(v, name)}`);
      }
    }
  });

  t.test('rule 25: minimalKeyLength is > 0', async (t) => {
    for (const p of policies) {
      const n = Number(childText(child(attrs(p), 'privateKeyAttributes'), 'minimalKeyLength'));
      t.ok(Number.isInteger(n) && n > 0, `minimalKeyLength ${n}`);
    }
  });

  t.test('rule 26: majorRevision > 0 and minorRevision >= 0', async (t) => {
    for (const p of policies) {
      const rev = child(attrs(p), 'revision');
      const major = Number(childText(rev, 'majorRevision'));
      const minor = Number(childText(rev, 'minorRevision'));
      t.ok(Number.isInteger(major) && major > 0, `majorRevision ${major}`);
      t.ok(Number.isInteger(minor) && minor >= 0, `minorRevision ${minor}`);
    }
  });

  t.test('rule 27: nextUpdateHours is nil or > 0', async (t) => {
    const nu = child(response, 'nextUpdateHours');
    t.ok(nu, 'nextUpdateHours present');
    if (!isNil(nu)) {
      const n = Number(childText(response, 'nextUpdateHours'));
      t.ok(Number.isInteger(n) && n > 0, `nextUpdateHours ${n}`);
    } else {
      t.equal(childText(response, 'nextUpdateHours'), '', 'nil carries no value');
    }
  });

  t.test('rule 28: cryptoProviders is nil or lists at least one provider', async (t) => {
    for (const p of policies) {
      const cp = child(child(attrs(p), 'privateKeyAttributes'), 'cryptoProviders');
      t.ok(cp, 'cryptoProviders present');
      if (!isNil(cp)) t.ok(children(cp, 'provider').length > 0, 'a non-nil cryptoProviders lists providers');
    }
  });

  t.test('rules 29 and 30: no AttestationFailureBehavior and no attestation elements (fenestra asks for no attestation)', async (t) => {
    t.notMatch(xml, /AttestationFailureBehavior/);
    t.notMatch(xml, /<(\w+:)?attestation[\s>/]/i);
  });

  t.test('rule 16: a nil or empty requestFilter filters nothing — the same policies as without one', async (t) => {
    const message = getPoliciesMessage(s.publicUrl + P, { kind: 'password', username: 'ada', password });
    const NIL_FILTER = '<requestFilter xsi:nil="true"/>';
    t.ok(message.includes(NIL_FILTER), 'the simulator sends a nil requestFilter');
    const policiesOf = (x: string) =>
      children(child(path(child(parseXml(x), 'Envelope'), 'Body', 'GetPoliciesResponse', 'response'), 'policies'), 'policy').map((p) =>
        childText(child(p, 'attributes'), 'commonName'),
      );
    const expected = policiesOf(xml);
    for (const [name, filter] of [
      ['empty', '<requestFilter/>'],
      ['empty with children nil', '<requestFilter><policyOIDs xsi:nil="true"/><clientVersion xsi:nil="true"/><serverVersion xsi:nil="true"/></requestFilter>'],
      ['absent', ''],
    ] as const) {
      const r2 = await s.soap(P, message.replace(NIL_FILTER, filter));
      t.equal(r2.status, 200, `${name}: answered`);
      t.same(policiesOf(r2.text()), expected, `${name}: every policy`);
    }
  });

  t.test('rule 12: not sent chunked (Content-Length)', async (t) => {
    t.not(r.headers['transfer-encoding'], 'chunked');
    t.equal(Number(r.headers['content-length']), Buffer.byteLength(xml));
  });
});
