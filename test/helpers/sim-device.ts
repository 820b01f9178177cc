// A simulated Windows device (src/sim/device.ts) for a test server: it reaches the server's public
// URL on 127.0.0.1, trusts its CA, and enrolls with an Entra token of tenant `tid` that the
// server's fake Entra ID mints for it whenever it asks (deviceid: its own DeviceID unless the
// claims name another). Not enrolled yet: the test calls enroll().
import { SimDevice, type SimDeviceOptions } from '../../src/sim/device.js';
import type { MintClaims } from './entra.js';
import { AUDIENCE, type TestServer } from './server.js';

export function entraSimDevice(
  s: TestServer,
  tid: string,
  claims: Omit<MintClaims, 'tid' | 'aud'> = {},
  opts: Omit<Partial<SimDeviceOptions>, 'credential'> = {},
): SimDevice {
  const dev: SimDevice = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.deviceId, ...claims }) },
    ...opts,
  });
  return dev;
}
