// Shared set-up of the push tests: a fenestra server configured for WNS against a fake WNS
// (token endpoint and channels on loopback), and simulated devices whose DMClient Push node
// behaves as Windows': a ChannelURI once our PFN is set, Push/Status 0.
import crypto from 'node:crypto';
import type { Test } from 'tap';
import type { SimDevice } from '../../src/sim/device.js';
import { startFakeWns, type FakeWns } from '../helpers/fake-wns.js';
import type { StartOptions } from '../../src/server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

export const PFN = 'Fenestra.Mdm_8wekyb3d8bbwe';
export const PUSH_NODE = './Vendor/MSFT/DMClient/Provider/fenestra/Push';

export interface PushSetup {
  s: TestServer;
  wns: FakeWns;
  tid: string;
  secret: string;
  clientId: string;
  /** A PUT /api/v1/settings/push body for this fake WNS (for a server started with `viaApi`). */
  apiSettings: { pfn: string; clientId: string; clientSecret: string; tokenUrl: string; channelHosts: string[] };
  enroll(channel?: (dev: SimDevice) => string): Promise<SimDevice & { channel: { url: string } }>;
  health(deviceId: string): Promise<any>;
  /** Poll the device detail until `ok(push health)`, at most `ms`. */
  healthUntil(deviceId: string, ok: (h: any) => boolean, ms?: number): Promise<any>;
}

export async function pushSetup(
  t: Test,
  env: Record<string, string> = {},
  opts: { logSink?: { write(line: string): void }; viaApi?: boolean; start?: StartOptions; database?: 'sqlite' | 'postgres' } = {},
): Promise<PushSetup> {
  const secret = `wns-secret-${crypto.randomBytes(12).toString('hex')}`;
  const clientId = 'ms-app://s-1-15-2-1111111111-2222222222-3333333333';
  const wns = await startFakeWns({ clientId, clientSecret: secret });
  t.teardown(() => wns.close());
  // viaApi: no FENESTRA_WNS_*; the test turns push on with PUT /api/v1/settings/push.
  const wnsEnv: Record<string, string> = opts.viaApi
    ? {}
    : {
        FENESTRA_WNS_PFN: PFN,
        FENESTRA_WNS_CLIENT_ID: clientId,
        FENESTRA_WNS_CLIENT_SECRET: secret,
        FENESTRA_WNS_TOKEN_URL: wns.tokenUrl,
        FENESTRA_WNS_CHANNEL_HOSTS: '127.0.0.1',
      };
  const s = await startTestServer({ ...wnsEnv, ...env }, { logSink: opts.logSink, start: opts.start, database: opts.database });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const health = async (id: string) => (await s.admin('GET', `/api/v1/devices/${id}`)).json.push;
  return {
    s,
    wns,
    tid,
    secret,
    clientId,
    apiSettings: { pfn: PFN, clientId, clientSecret: secret, tokenUrl: wns.tokenUrl, channelHosts: ['127.0.0.1'] },
    health,
    async healthUntil(id, ok, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const h = await health(id);
        if (ok(h)) return h;
        if (Date.now() > end) throw new Error(`push health never matched: ${JSON.stringify(h)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async enroll(channel) {
      const dev = entraSimDevice(s, tid) as SimDevice & { channel: { url: string } };
      await dev.enroll();
      dev.channel = { url: channel ? channel(dev) : wns.channelUrl(dev.deviceId) };
      // As Windows: the DM client gets a channel from WNS once a PFN is set; Push/Status 0 = success.
      dev.tree.set(`${PUSH_NODE}/ChannelURI`, { value: '' });
      dev.tree.setComputed(`${PUSH_NODE}/ChannelURI`, () => (dev.tree.read(`${PUSH_NODE}/PFN`)?.data === PFN ? dev.channel.url : ''));
      // Push/Status 0 = success, 4 = no channel assigned.
      dev.tree.set(`${PUSH_NODE}/Status`, { format: 'int', value: '4' });
      dev.tree.setComputed(`${PUSH_NODE}/Status`, () => (dev.tree.read(`${PUSH_NODE}/ChannelURI`)?.data ? '0' : '4'));
      return dev;
    },
  };
}
