// The published JSON Schemas (schemas/profiles/<kind>.schema.json) equal the ones the compiler
// uses, are plain draft-07 (a validator without the discriminator extension agrees), and close
// every object with additionalProperties: false.
//
// Regenerate the files after changing src/protocol/csp/schemas.ts:
//   FENESTRA_WRITE_SCHEMAS=1 npx tap test/csp/schemas.test.ts
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { PROFILE_KINDS, PROFILE_SCHEMAS, compileProfile, type ProfileKind } from '../../src/protocol/csp/index.js';
import { ROOT, SCEP_USER_CERT, fixture } from './fixtures/helpers.js';

const DIR = path.join(ROOT, 'schemas', 'profiles');
const file = (kind: ProfileKind) => path.join(DIR, `${kind}.schema.json`);
const serialise = (kind: ProfileKind) => JSON.stringify(PROFILE_SCHEMAS[kind], null, 2) + '\n';

if (process.env.FENESTRA_WRITE_SCHEMAS === '1') {
  fs.mkdirSync(DIR, { recursive: true });
  for (const kind of PROFILE_KINDS) fs.writeFileSync(file(kind), serialise(kind));
}

t.test('schemas/profiles/*.schema.json are the compiler schemas, byte for byte', async (t) => {
  for (const kind of PROFILE_KINDS) {
    t.ok(fs.existsSync(file(kind)), `${kind}.schema.json exists`);
    t.equal(
      fs.readFileSync(file(kind), 'utf8'),
      serialise(kind),
      `${kind}.schema.json is current (regenerate: FENESTRA_WRITE_SCHEMAS=1 npx tap test/csp/schemas.test.ts)`,
    );
  }
  t.same(fs.readdirSync(DIR).sort(), PROFILE_KINDS.map((k) => `${k}.schema.json`).sort(), 'no stray schema files');
});

type Node = Record<string, unknown>;
function walk(s: unknown, at: string, visit: (s: Node, at: string) => void): void {
  if (Array.isArray(s)) s.forEach((x, i) => walk(x, `${at}/${i}`, visit));
  else if (s && typeof s === 'object') {
    visit(s as Node, at);
    for (const [k, v] of Object.entries(s)) walk(v, `${at}/${k}`, visit);
  }
}

t.test('shape: draft-07, titled and described, every object closed', async (t) => {
  for (const kind of PROFILE_KINDS) {
    const s = PROFILE_SCHEMAS[kind] as Node;
    t.equal(s.$schema, 'http://json-schema.org/draft-07/schema#', `${kind}: draft-07`);
    t.ok(typeof s.title === 'string' && typeof s.description === 'string', `${kind}: title and description`);
    const open: string[] = [];
    const undescribed: string[] = [];
    walk(s, '#', (n, at) => {
      if (n.properties && n.additionalProperties !== false && !/\/if$/.test(at)) open.push(at);
      if (n.properties && !/\/if$/.test(at) && (at === '#' || /\/oneOf\/\d+$/.test(at))) {
        for (const [k, v] of Object.entries(n.properties as Record<string, Node>)) {
          if (typeof v.description !== 'string') undescribed.push(`${at}/properties/${k}`);
        }
      }
    });
    t.same(open, [], `${kind}: additionalProperties false on every object with properties`);
    t.same(undescribed, [], `${kind}: every top-level setting has a description`);
  }
});

t.test('a plain draft-07 validator (no discriminator support) agrees', async (t) => {
  const plain = new Ajv({ allErrors: true, strict: false });
  const samples: [ProfileKind, 'user' | 'device', unknown, boolean][] = [
    ['certificate', 'user', SCEP_USER_CERT, true],
    ['certificate', 'device', { ref: 'r', type: 'trusted-root', certificateBase64: fixture('test-root-ca.pem') }, true],
    ['certificate', 'device', { ref: 'r', type: 'trusted-root', certificateBase64: 'x', password: 'y' }, false],
    ['certificate', 'device', { ref: 'r', type: 'nope' }, false],
    ['vpn', 'user', { name: 'V', servers: ['v.example.com'], tunnelType: 'SSTP', routing: { mode: 'force' }, authentication: { method: 'mschapv2' } }, true],
    ['vpn', 'user', { name: 'V', servers: ['v.example.com'], tunnelType: 'SSTP', routing: { mode: 'force' }, authentication: { method: 'eap-tls' } }, false],
    ['wifi', 'user', { ssid: 'W', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootThumbprints: ['A'.repeat(40)] } } }, true],
    ['wifi', 'user', { ssid: 'W', security: 'WPA2PSK' }, false],
  ];
  for (const [kind, scope, s, valid] of samples) {
    const what = `${kind} ${JSON.stringify(s).slice(0, 60)}…`;
    t.equal(plain.validate(PROFILE_SCHEMAS[kind], s), valid, `${what} ${valid ? 'valid' : 'invalid'} for plain Ajv`);
    let compiled = true;
    try {
      compileProfile(kind, scope, s);
    } catch {
      compiled = false;
    }
    t.equal(compiled, valid, `${what} ${valid ? 'accepted' : 'refused'} by the compiler`);
  }
});
