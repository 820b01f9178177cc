// A fenestra server in its own OS process (the real CLI), for tests that kill, stop or run
// several of it: SIGKILL crash safety, graceful shutdown, backups, workers. It runs the built
// dist/cli.js (built once per test file through the package's bin, test/cli/run-cli.ts), as an
// installed server does: under the tests' TypeScript loader every server started would transpile
// all of src/ again, tens of seconds of CPU on a busy machine.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { httpsRequest, type HttpsOptions, type HttpsResponse } from '../../src/sim/https-client.js';
import { DIST, ensureBuilt } from '../cli/run-cli.js';

export const freePort = () =>
  new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });

export interface ChildServer {
  child: ChildProcess;
  url: string;
  port: number;
  token: string;
  /** The device CA (PEM), for clients. */
  ca(): string;
  connectTo: { host: string; port: number };
  request(pathName: string, opts?: HttpsOptions): Promise<HttpsResponse>;
  admin(method: string, pathName: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildServerOptions {
  dir: string;
  port?: number;
  token?: string;
  url?: string;
  env?: Record<string, string>;
  cliArgs?: string[];
}

/** Start `fenestra serve` with its data and certificates under `dir`; resolves once /healthz answers (up to 90 s: the machine may be busy). */
export async function startChildServer(o: ChildServerOptions): Promise<ChildServer> {
  const port = o.port ?? (await freePort());
  const token = o.token ?? 't' + crypto.randomBytes(24).toString('base64url'); // no leading '-': it follows --token on command lines
  const url = o.url ?? 'https://enterpriseenrollment.child.test';
  await ensureBuilt();
  const child = spawn(process.execPath, [DIST, ...(o.cliArgs ?? ['serve'])], {
    env: {
      ...process.env,
      FENESTRA_LISTEN: `127.0.0.1:${port}`,
      FENESTRA_PUBLIC_URL: url,
      FENESTRA_DATA_DIR: path.join(o.dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(o.dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: token,
      FENESTRA_LOG_LEVEL: 'warn',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const connectTo = { host: '127.0.0.1', port };
  const ca = () => fs.readFileSync(path.join(o.dir, 'certs', 'ca.pem'), 'utf8');
  const request = (p: string, opts: HttpsOptions = {}) => httpsRequest(`${url}${p}`, { connectTo, ca: ca(), ...opts });
  let dead = false;
  void exited.then(() => (dead = true));
  for (let i = 0; ; i++) {
    if (dead) throw new Error(`the server exited during start-up:\n${out}`);
    if (i > 450) throw new Error(`the server did not answer /healthz within 90 s:\n${out}`);
    try {
      if (fs.existsSync(path.join(o.dir, 'certs', 'ca.pem')) && (await request('/healthz')).status === 200) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url,
    port,
    token,
    ca,
    connectTo,
    request,
    async admin(method, p, body) {
      const r = await request(p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = r.text();
      return { status: r.status, json: text ? JSON.parse(text) : undefined };
    },
    output: () => out,
    exited,
  };
}
