import { schemaErrors } from '../../src/protocol/csp/validate.js';
console.log(schemaErrors('certificate', {}));
console.log(schemaErrors('certificate', { type: 'x', ref: 'a' }));
console.log(schemaErrors('certificate', { type: 'pfx', ref: 'a', foo: 1 }));
console.log(schemaErrors('wifi', { ssid: 'x', security: 'WPA2PSK', eap: { method: 'eap-tls' } }));
console.log(schemaErrors('vpn', { name: 'a', servers: ['h', { host: 'x', y: 1 }, 3], tunnelType: 'IKEv2', routing: { mode: 'split' }, authentication: { method: 'mschapv2' } }));
