// A TCP proxy between a server under test and a database, to make the database vanish:
// kill() resets every connection and refuses new ones (a crash, a failover); blackhole() stops
// moving bytes either way and leaves new connections unanswered (a partition, a dead host);
// restore() moves bytes again, as a healed partition does (nothing is lost in between).
import net from 'node:net';

export interface TcpProxy {
  port: number;
  kill(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'kill' | 'blackhole' = 'forward';
  const sockets = new Set<net.Socket>();
  const waiting = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      waiting.delete(s);
    });
    s.on('error', () => undefined);
  };
  const forward = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.resume();
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    if (mode === 'kill') client.resetAndDestroy();
    else if (mode === 'blackhole') waiting.add(client);
    else forward(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    kill() {
      mode = 'kill';
      for (const s of sockets) s.resetAndDestroy();
    },
    blackhole() {
      mode = 'blackhole';
      for (const s of sockets) s.pause();
    },
    restore() {
      mode = 'forward';
      for (const s of sockets) if (!waiting.has(s)) s.resume();
      for (const c of waiting) forward(c);
      waiting.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
