// The admin API as the CLI reaches it: where (--url / FENESTRA_URL / FENESTRA_PUBLIC_URL), with
// which token (--token / FENESTRA_ADMIN_TOKEN / the token file in the data directory) and which
// trust anchor (--ca / the development CA in FENESTRA_CERTS_DIR when it exists, else the system's).
import fs from 'node:fs';
import path from 'node:path';
import { httpsRequest } from '../sim/https-client.js';
import { UsageError, str, type Options, type Parsed } from './args.js';
import { io } from './io.js';

export const CONNECTION_OPTIONS: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
};

export const CONNECTION_HELP = `connection (every admin command):
  --url URL          the server (else FENESTRA_URL, FENESTRA_PUBLIC_URL, https://localhost:8443)
  --token TOKEN      admin token (else FENESTRA_ADMIN_TOKEN, --token-file, FENESTRA_ADMIN_TOKEN_FILE,
                     else $FENESTRA_DATA_DIR/admin-token, the file a development server generates)
  --token-file FILE  read the admin token from FILE
  --ca FILE          CA certificate (PEM) to trust for the server's TLS certificate (else
                     $FENESTRA_CERTS_DIR/ca.pem when it exists, else the system's trust store)
  --json             print the API's JSON instead of a table
`;

/** An error answer of the API: printed with its code and the JSON pointer of the field. */
export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly pointer?: string;
  constructor(status: number, code: string, detail: string, pointer?: string) {
    super(`${status} ${code}${pointer ? ` at ${pointer}` : ''}: ${detail}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.pointer = pointer;
  }
}

export interface ApiClient {
  url: string;
  call<T = unknown>(method: string, pathName: string, body?: unknown): Promise<T>;
}

type Env = Record<string, string | undefined>;

function readFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Where and how to call, from the options and the environment; no request is made. */
export function connection(p: Parsed, env: Env = io().env): { url: string; token: string; ca?: string } {
  const raw = str(p, 'url') ?? env.FENESTRA_URL ?? env.FENESTRA_PUBLIC_URL ?? 'https://localhost:8443';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'https:') throw new UsageError(`--url must use https:// (got ${u.protocol})`);
  let token = str(p, 'token') ?? env.FENESTRA_ADMIN_TOKEN;
  if (!token) {
    // The same places the server reads it from: a secret file (containers), else the file it generated.
    const given = str(p, 'token-file') ?? env.FENESTRA_ADMIN_TOKEN_FILE;
    const file = given ?? path.join(path.resolve(env.FENESTRA_DATA_DIR ?? './data'), 'admin-token');
    if (!given && !fs.existsSync(file)) {
      throw new UsageError(`no admin token: give --token, FENESTRA_ADMIN_TOKEN, --token-file or FENESTRA_ADMIN_TOKEN_FILE (${file} does not exist)`);
    }
    token = readFile(file, 'the token file').trim();
  }
  const caFile = str(p, 'ca') ?? path.join(path.resolve(env.FENESTRA_CERTS_DIR ?? './certs-dev'), 'ca.pem');
  const ca = str(p, 'ca') || fs.existsSync(caFile) ? readFile(caFile, 'the CA file') : undefined;
  return { url: u.origin, token, ca };
}

export function apiClient(p: Parsed, env: Env = io().env): ApiClient {
  const c = connection(p, env);
  return {
    url: c.url,
    async call<T>(method: string, pathName: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${c.token}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res;
      try {
        res = await httpsRequest(`${c.url}${pathName}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          ca: c.ca,
          timeoutMs: 60_000,
        });
      } catch (err) {
        throw new Error(`cannot reach ${c.url}: ${(err as Error).message}`, { cause: err });
      }
      const text = res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.status >= 400) {
        const e = (json as { error?: { code?: string; message?: string; pointer?: string } } | undefined)?.error;
        throw new ApiCallError(res.status, e?.code ?? 'error', e?.message ?? (text.slice(0, 200) || 'no details'), e?.pointer);
      }
      // CSV and other text answers are handed over as they are.
      const type = String(res.headers['content-type'] ?? '');
      return (type && !type.includes('json') ? text : json) as T;
    },
  };
}
