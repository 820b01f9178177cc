// A lean HTTP/1.1-over-TLS client for load generation: one TLS socket, requests written as one
// pre-built buffer, responses framed by Content-Length (fenestra always sends it to devices).
// Node's https client spends ~0.3 ms of CPU per request on agents, header objects and
// parsers; on a 2-core machine where the load generator shares the cores with the server,
// that cost is taken from the server being measured. TLS itself is Node's (OpenSSL).
import tls from 'node:tls';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export interface RawConnectOptions {
  host: string;
  port: number;
  servername: string;
  /** Trust anchors, made once (tls.createSecureContext({ ca })): a PEM string per connection
   * would build a new OpenSSL context — milliseconds — for every handshake. */
  secureContext: tls.SecureContext;
  /** A TLS session (ticket) to resume, as a device's TLS stack keeps one per server. */
  session?: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawHttpsConnection {
  private readonly socket: tls.TLSSocket;
  private readonly ready: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private pending?: { resolve: (r: RawResponse) => void; reject: (e: Error) => void };
  /** The last session ticket the server handed out on this connection. */
  session?: Buffer;
  private readonly hostHeader: string;

  constructor(opts: RawConnectOptions, hostHeader: string) {
    this.hostHeader = hostHeader;
    this.socket = tls.connect({ host: opts.host, port: opts.port, servername: opts.servername, secureContext: opts.secureContext, session: opts.session });
    this.socket.setNoDelay(true);
    this.socket.on('session', (s: Buffer) => (this.session = s));
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('error', reject);
    });
    // A failed handshake is reported by request(); never as an unhandled rejection.
    this.ready.catch(() => undefined);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  get resumed(): boolean {
    return this.socket.isSessionReused();
  }

  /** `extraHeaders`: more header lines, each ending in CRLF (e.g. `X-Forwarded-For: …\r\n`). */
  async request(path: string, contentType: string, body: Buffer, extraHeaders = ''): Promise<RawResponse> {
    await this.ready;
    if (this.pending) throw new Error('one request at a time');
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n${extraHeaders}\r\n`;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
  }

  close(): void {
    this.pending = undefined;
    this.socket.destroy();
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m) return this.fail(new Error(`response without Content-Length (status ${status})`));
    const total = end + 4 + Number(m[1]);
    if (this.buf.length < total) return;
    const body = this.buf.subarray(end + 4, total);
    this.buf = this.buf.subarray(total);
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ status, body });
  }
}
