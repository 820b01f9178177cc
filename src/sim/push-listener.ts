// The simulated devices' WNS channels (`fenestra sim --push-listen HOST:PORT`): each device
// reports http://HOST:PORT/wns/<DeviceID> as its DMClient Push/ChannelURI, and a raw
// notification POSTed there wakes it, as WNS wakes a Windows device (docs/protocol-notes.md,
// "Push"): `X-WNS-Type: wns/raw` and an `Authorization: Bearer …` header → 200 and the device
// checks in at once; a missing or other notification type or no bearer token → 400; an unknown
// path or device → 404; another method → 405. The payload is read (at most 5 KB, WNS's limit)
// and ignored, as Windows ignores it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';

const MAX_PAYLOAD = 5 * 1024;

export interface PushListener {
  /** http://HOST:PORT, with the port actually bound (port 0 picks one). */
  readonly baseUrl: string;
  channelFor(deviceId: string): string;
  close(): Promise<void>;
}

/**
 * Listen on host:port. `wake(deviceId)` is called for every accepted notification; it answers
 * false for a device this run does not hold (→ 404).
 */
export async function startPushListener(host: string, port: number, wake: (deviceId: string) => boolean): Promise<PushListener> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, message?: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...(status === 405 ? { allow: 'POST' } : {}) });
      res.end(message ? message + '\n' : '');
    };
    const m = /^\/wns\/([^/?#]+)$/.exec((req.url ?? '').split('?')[0]);
    let deviceId: string | undefined;
    try {
      deviceId = m ? decodeURIComponent(m[1]) : undefined;
    } catch {
      deviceId = undefined;
    }
    if (!deviceId) return answer(404, 'not a channel: /wns/<DeviceID>');
    if (req.method !== 'POST') return answer(405, 'a notification is a POST');
    const type = String(req.headers['x-wns-type'] ?? '').trim();
    if (type !== 'wns/raw') return answer(400, `X-WNS-Type: ${type ? JSON.stringify(type) + ' is not' : 'missing, must be'} wns/raw`);
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) return answer(400, 'Authorization: a Bearer access token is required');
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_PAYLOAD && !over) {
        over = true;
        answer(413, `payload over ${MAX_PAYLOAD} bytes`);
        req.resume();
      }
    });
    req.on('end', () => {
      if (over) return;
      if (!wake(deviceId)) return answer(404, `no device ${deviceId} on this channel`);
      answer(200);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  // A wildcard address is no place to send to: the channel then names this machine.
  const shown = host === '0.0.0.0' || host === '::' ? os.hostname() : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${shown}:${addr.port}`;
  return {
    baseUrl,
    channelFor: (id) => `${baseUrl}/wns/${encodeURIComponent(id)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
