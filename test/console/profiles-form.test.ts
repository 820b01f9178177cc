// The profile editor's form, generated from each kind's schema, read back into settings: what
// the admin filled in survives the round trip, empty rows and fieldsets are left out, secrets are
// never written into the page and a stored one is kept when left empty.
import t from 'tap';
import { PROFILE_SCHEMAS } from '../../src/protocol/csp/schemas.js';
import { MASK } from '../../src/identity/secret-box.js';
import { humanize, idOf, readSettings, settingsFields, type FieldSchema, type FormValues } from '../../src/http/console/pages/profile-form.js';

/** The form a browser would post for the rendered fields, without JavaScript and untouched. */
function posted(markup: string): FormValues {
  const out: FormValues = {};
  const add = (k: string, v: string) => {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  };
  // Templates are not submitted (nested ones: the outermost goes, with what it holds).
  let live = markup;
  for (let prev = ''; prev !== live;) {
    prev = live;
    live = live.replace(/<template[^>]*>(?:(?!<template)[\s\S])*?<\/template>/g, '');
  }
  for (const m of live.matchAll(/<input ([^>]*)>/g)) {
    const attrs = Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    if (!attrs.name) continue;
    if (attrs.type === 'checkbox' && !/\bchecked\b/.test(m[1])) continue;
    add(
      attrs.name,
      (attrs.value ?? '')
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>'),
    );
  }
  for (const m of live.matchAll(/<select [^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const sel = /<option value="([^"]*)"\s+selected>/.exec(m[2]);
    add(m[1], sel ? sel[1] : '');
  }
  for (const m of live.matchAll(/<textarea [^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) add(m[1], m[2]);
  return out;
}

const schema = (k: keyof typeof PROFILE_SCHEMAS) => PROFILE_SCHEMAS[k] as FieldSchema;

t.test('every kind round-trips a filled form, secrets aside', async (t) => {
  const samples: Record<string, Record<string, unknown>> = {
    wifi: {
      ssid: 'Contoso & "Guests"',
      hidden: false,
      security: 'WPA2',
      eap: { method: 'eap-tls', certificateRef: 'c1', serverTrust: { rootThumbprints: ['AA'.repeat(20)], serverNames: ['nps.contoso.com', 'b'] } },
    },
    vpn: {
      name: 'Contoso VPN',
      servers: ['vpn.contoso.com'],
      tunnelType: 'IKEv2',
      routing: {
        mode: 'split',
        routes: [
          { address: '10.0.0.0', prefixSize: 8 },
          { address: '10.1.0.0', prefixSize: 16, exclude: true },
        ],
      },
      authentication: { method: 'mschapv2' },
      domainNameInformation: [{ domainName: '.contoso.com', dnsServers: ['10.0.0.1'] }],
    },
    email: {
      accountId: 'a',
      accountName: 'Mail',
      emailAddress: 'a@b.c',
      serviceType: 'IMAP4',
      incoming: { host: 'imap', port: 993 },
      userName: 'a',
      downloadDays: -1,
    },
    certificate: {
      type: 'scep',
      ref: 'r',
      serverUrls: ['https://scep'],
      subjectName: 'CN=x',
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      keyLength: 2048,
      caThumbprint: 'AB',
    },
    hello: { tenantId: 'x', enabled: true, pin: { minimumLength: 6, digits: 'required' } },
    custom: { nodes: [{ locUri: './Device/Vendor/MSFT/X', format: 'int', value: '1' }], atomic: true },
  };
  for (const [kind, settings] of Object.entries(samples)) {
    const { fields } = settingsFields(schema(kind as never), settings, 'en', new Map());
    t.same(readSettings(schema(kind as never), posted(fields.value)), settings, kind);
  }
});

t.test('an empty form gives only the required strings, empty', async (t) => {
  const { fields } = settingsFields(schema('wifi'), undefined, 'en', new Map());
  t.same(readSettings(schema('wifi'), posted(fields.value)), { ssid: '' });
  const cert = settingsFields(schema('certificate'), undefined, 'fr', new Map());
  t.same(readSettings(schema('certificate'), posted(cert.fields.value)), {});
  t.match(cert.fields.value, /\(choisir\)/, 'French labels');
});

t.test('secrets: never in the page; a stored one is kept when left empty, a typed one replaces it', async (t) => {
  const typed = settingsFields(schema('wifi'), { ssid: 'n', security: 'WPA2PSK', passphrase: 'correct horse' }, 'en', new Map());
  t.notOk(typed.fields.value.includes('correct horse'), 'a typed secret is not written back');
  t.match(typed.fields.value, /type="password"/);
  t.same(readSettings(schema('wifi'), posted(typed.fields.value)), { ssid: 'n', security: 'WPA2PSK' }, 'typed again after a refusal');
  const stored = settingsFields(schema('wifi'), { ssid: 'n', security: 'WPA2PSK', passphrase: MASK }, 'en', new Map());
  t.notOk(stored.fields.value.includes(MASK));
  t.same(readSettings(schema('wifi'), posted(stored.fields.value)), { ssid: 'n', security: 'WPA2PSK', passphrase: MASK }, 'the mask keeps the stored one');
  const form = posted(stored.fields.value);
  form['s.passphrase'] = 'new passphrase';
  t.equal(readSettings(schema('wifi'), form).passphrase, 'new passphrase');
  const custom = settingsFields(schema('custom'), { nodes: [{ locUri: './Device/X', format: 'chr', value: MASK, secret: true }] }, 'en', new Map());
  t.match(custom.fields.value, new RegExp(`name="s.nodes.0.value" type="password"`), "a custom node's secret value");
});

t.test('errors sit at the field the pointer names, described by it; others are left for the summary', async (t) => {
  const errors = new Map([
    ['/passphrase', 'must NOT have fewer than 8 characters'],
    ['/eap/serverTrust', 'needs a trusted root'],
    ['/nowhere', 'is not a known setting here'],
  ]);
  const r = settingsFields(schema('wifi'), { ssid: 'n', security: 'WPA2', eap: { method: 'peap-mschapv2' } }, 'en', errors);
  const id = idOf('s.passphrase');
  t.match(
    r.fields.value,
    new RegExp(`<input id="${id}" name="s.passphrase" type="password"[^>]*aria-describedby="${id}-hint ${id}-error"\\s+aria-invalid="true"`),
  );
  t.match(r.fields.value, new RegExp(`<p class="error" id="${id}-error">must NOT have fewer than 8 characters</p>`));
  const st = idOf('s.eap.@peap-mschapv2.serverTrust');
  t.match(r.fields.value, new RegExp(`id="${st}"\\s+aria-describedby="${st}-hint ${st}-error"`), "the chosen branch's fieldset has it");
  t.notOk(r.fields.value.includes(idOf('s.eap.@eap-tls.serverTrust') + '-error'), 'not the other branch');
  t.same([...r.unshown.keys()], ['/nowhere']);
  t.equal(r.shownAt.get('/passphrase'), id);
});

t.test('numbers that are not numbers go as typed (the server names the field); enums keep their type', async (t) => {
  const form: FormValues = { 's.accountId': 'a', 's.incoming.host': 'h', 's.incoming.port': 'abc', 's.downloadDays': '30', 's.syncIntervalMinutes': '15' };
  t.same(readSettings(schema('email'), form), { accountId: 'a', incoming: { host: 'h', port: 'abc' }, syncIntervalMinutes: 15, downloadDays: 30 });
});

t.test('rows: empty ones dropped, gaps left by removed rows closed', async (t) => {
  const form: FormValues = {
    's.ssid': 'x',
    's.eap.method': 'eap-tls',
    's.eap.@eap-tls.serverTrust.serverNames.0': 'a',
    's.eap.@eap-tls.serverTrust.serverNames.3': 'b',
    's.eap.@eap-tls.serverTrust.serverNames.4': '',
  };
  t.same(readSettings(schema('wifi'), form), { ssid: 'x', eap: { method: 'eap-tls', serverTrust: { serverNames: ['a', 'b'] } } });
});

t.test('labels from property names', async (t) => {
  t.equal(humanize('autoConnect'), 'Auto connect');
  t.equal(humanize('tenantId'), 'Tenant ID');
  t.equal(humanize('serverUrls'), 'Server URLs');
  t.equal(humanize('l2tpPsk'), 'L2TP PSK');
  t.equal(humanize('ssid'), 'SSID');
  t.equal(humanize('ekus'), 'EKUs');
});
