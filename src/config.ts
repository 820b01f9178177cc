// One typed, validated configuration object, read from the environment once at start-up.
import os from 'node:os';
import path from 'node:path';
import { isProxyCertFormat, parseTrustedProxies, PROXY_CERT_FORMATS, type ProxyCertFormat } from './identity/proxy-cert.js';
import { weakTokenReason } from './identity/token-strength.js';
import { readConfigEnv, type ConfigEnv, type ConfigVar } from './config-env.js';
import { keyPairProblem } from './config-keypair.js';
import { parseConsoleEntra, type ConsoleEntraConfig } from './config-console-entra.js';
import { parseTestOutbound } from './config-outbound.js';
import type { OutboundOptions } from './service/entra/outbound.js';
import type { DatabaseLocation } from './store/open.js';
import { CHANNEL_HOST_PATTERN, CLIENT_ID_PATTERN, PFN_PATTERN, WNS_TOKEN_URL } from './service/push/settings.js';

export interface Config {
  /** Base URL devices use, e.g. https://mdm.example.com (no path). */
  publicUrl: string;
  listenHost: string;
  listenPort: number;
  dataDir: string;
  certsDir: string;
  /** sqlite file path or postgres URL. */
  database: DatabaseLocation;
  /** PostgreSQL: longest wait for a connection and longest statement, ms. */
  databaseTimeoutMs: number;
  /** A request not answered by then gets 503 + Retry-After, ms. */
  requestDeadlineMs: number;
  tls?: { certFile: string; keyFile: string };
  ca?: { certFile: string; keyFile: string };
  adminToken?: string;
  entraAuthority?: string;
  logLevel: string;
  production: boolean;
  /** Validity of issued device certificates, days. */
  certValidityDays: number;
  /** Days before expiry at which a device renews (CertificateStore/My/WSTEP/Renew/RenewPeriod). */
  renewPeriodDays: number;
  /** OMA-DM account name (w7 PROVIDER-ID, DMClient/Provider/<id>). */
  providerId: string;
  /** base64 32-byte key for signing/encrypting server-side secrets; generated in dataDir if unset. */
  secretKey?: string;
  /** Server processes sharing the listener (1 = no cluster). */
  workers: number;
  /** A second listener for the admin API and /metrics (no client-certificate prompt); they then leave the device listener. */
  adminListen?: { host: string; port: number };
  /** Bearer token for GET /metrics (else the admin token). */
  metricsToken?: string;
  /** TLS-terminating proxies allowed to forward the device's client certificate, and their header format. */
  trustedProxies?: { proxies: string[]; format: ProxyCertFormat };
  /** Open connections per listener and process; more are closed at once. */
  maxConnections: number;
  /** A connection whose TLS handshake is not done by then is closed, ms. */
  tlsHandshakeTimeoutMs: number;
  /** Push through WNS (off when unset): package family name set on devices, package SID + secret, token endpoint, channel host suffixes allowed. */
  wns?: WnsConfig;
  /** Console sign-in with Entra ID (off when unset): config-console-entra.ts. */
  consoleEntra?: ConsoleEntraConfig;
  /** Console sign-in sessions: ended after this many idle minutes, and this many hours after sign-in whatever happens. */
  consoleSession: { idleMinutes: number; hours: number };
  /** Minutes between syncs of the watched Entra groups' membership from Microsoft Graph (0: only on demand). */
  entraGroupSyncMinutes: number;
  /** Hours an app package's signed download URL stays valid (issue #15). */
  contentUrlTtlHours: number;
  /** Largest app package accepted, bytes. */
  contentMaxBytes: number;
  /** A package download whose client takes no bytes for this long is cut (Windows resumes it with Range). */
  contentStallSeconds: number;
  /** Hosts a public app's URL may name although they resolve to private addresses (lower case; '*': any). */
  appPrivateHosts?: string[];
  /** Test only: outbound calls to Entra/Graph sent to local fakes (config-outbound.ts). */
  testOutbound?: OutboundOptions;
  /** What start-up logs at warn level: FENESTRA_* variables nobody reads (typos). Absent when none. */
  warnings?: string[];
}

export class ConfigError extends Error {
  public readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

type Env = ConfigEnv;

function intVar(env: Env, name: ConfigVar, def: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${name}=${JSON.stringify(raw)} is not a whole number`);
    return def;
  }
  const n = Number(raw);
  if (n < min || n > max) problems.push(`${name}=${n} is out of range (${min}..${max})`);
  return n;
}

function pairVar(env: Env, a: ConfigVar, b: ConfigVar, problems: string[]): { certFile: string; keyFile: string } | undefined {
  const cert = env[a];
  const key = env[b];
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    problems.push(`${a} and ${b} must be set together (got only ${cert ? a : b})`);
    return undefined;
  }
  const pair = { certFile: path.resolve(cert), keyFile: path.resolve(key) };
  const mismatch = keyPairProblem(pair, a, b);
  if (mismatch) problems.push(mismatch);
  return pair;
}

function parseListen(raw: string, problems: string[], name = 'FENESTRA_LISTEN', example = '0.0.0.0:8443'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(raw.trim());
  if (!m) {
    problems.push(`${name}=${JSON.stringify(raw)} must be host:port, e.g. ${example}`);
    return { host: '0.0.0.0', port: 8443 };
  }
  const port = Number(m[3]);
  if (port > 65535) problems.push(`${name} port ${port} is out of range`);
  return { host: m[1] ?? m[2], port };
}

function parsePublicUrl(raw: string, problems: string[]): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    problems.push(`FENESTRA_PUBLIC_URL=${JSON.stringify(raw)} is not a URL`);
    return 'https://localhost';
  }
  if (u.protocol !== 'https:') problems.push(`FENESTRA_PUBLIC_URL must use https:// (Windows enrolls over HTTPS only), got ${u.protocol}`);
  if (u.pathname !== '/' || u.search || u.hash) {
    problems.push('FENESTRA_PUBLIC_URL must be an origin without path, query or fragment (Windows uses fixed /EnrollmentServer paths)');
  }
  if (u.username || u.password) problems.push('FENESTRA_PUBLIC_URL must not contain credentials');
  return u.origin;
}

function parseDatabase(raw: string | undefined, dataDir: string, problems: string[]): Config['database'] {
  if (!raw) return { kind: 'sqlite', file: path.join(dataDir, 'fenestra.db') };
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return { kind: 'postgres', url: raw };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) problems.push('FENESTRA_DATABASE_URL=sqlite: needs a file path, e.g. sqlite:./data/fenestra.db');
    return { kind: 'sqlite', file: path.resolve(file || 'fenestra.db') };
  }
  problems.push('FENESTRA_DATABASE_URL must start with sqlite: or postgres:// (the URL is not shown: it may hold a password)');
  return { kind: 'sqlite', file: path.join(dataDir, 'fenestra.db') };
}

/** Where the store is, for logs: the PostgreSQL URL without its password. */
export function describeDatabase(d: Config['database']): string {
  if (d.kind === 'sqlite') return `sqlite:${d.file}`;
  try {
    const u = new URL(d.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (URL not shown)';
  }
}

export interface WnsConfig {
  pfn: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  /** Host suffixes a device's ChannelURI may point at (SSRF guard); a suffix starting with '.' matches subdomains, else the exact host. */
  channelHosts: string[];
}

function parseWns(env: Env, production: boolean, problems: string[]): WnsConfig | undefined {
  const names = ['FENESTRA_WNS_PFN', 'FENESTRA_WNS_CLIENT_ID', 'FENESTRA_WNS_CLIENT_SECRET'] as const;
  const set = names.filter((n) => env[n]);
  if (set.length === 0) {
    // A push setting without credentials is a typo or a half-done configuration: say so.
    const stray = (['FENESTRA_WNS_TOKEN_URL', 'FENESTRA_WNS_CHANNEL_HOSTS'] as const).filter((n) => env[n]);
    if (stray.length) problems.push(`${stray.join(' and ')} set but push is off (${names.join(', ')} are not set)`);
    return undefined;
  }
  // The secret's value is never echoed: problems only name the variables.
  if (set.length !== names.length) {
    problems.push(`${names.join(', ')} must be set together (got only ${set.join(', ')})`);
    return undefined;
  }
  const pfn = env.FENESTRA_WNS_PFN!.trim();
  if (!PFN_PATTERN.test(pfn)) problems.push('FENESTRA_WNS_PFN must be a package family name, <name>_<13-character publisher id>');
  const clientId = env.FENESTRA_WNS_CLIENT_ID!.trim();
  if (!CLIENT_ID_PATTERN.test(clientId)) problems.push('FENESTRA_WNS_CLIENT_ID must be the package SID (ms-app://s-1-15-2-...), without spaces');
  let tokenUrl = WNS_TOKEN_URL;
  if (env.FENESTRA_WNS_TOKEN_URL) {
    try {
      const u = new URL(env.FENESTRA_WNS_TOKEN_URL);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      // The client secret travels to it: plain HTTP is for a local fake in tests.
      if (production && u.protocol === 'http:') problems.push('FENESTRA_WNS_TOKEN_URL must use https:// in production');
      tokenUrl = u.toString();
    } catch {
      problems.push(`FENESTRA_WNS_TOKEN_URL=${JSON.stringify(env.FENESTRA_WNS_TOKEN_URL)} is not an http(s) URL`);
    }
  }
  const channelHosts = (env.FENESTRA_WNS_CHANNEL_HOSTS ?? '.notify.windows.com')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (channelHosts.length === 0 || channelHosts.some((h) => !CHANNEL_HOST_PATTERN.test(h))) {
    problems.push('FENESTRA_WNS_CHANNEL_HOSTS must be a comma-separated list of host names or .suffixes, e.g. .notify.windows.com');
  }
  return { pfn, clientId, clientSecret: env.FENESTRA_WNS_CLIENT_SECRET!, tokenUrl, channelHosts };
}

/** FENESTRA_ENV: production makes the checks strict; test allows what only tests want (certificates renewable at once). */
const ENVIRONMENTS = ['production', 'development', 'test'] as const;

export function loadConfig(rawEnv: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const warnings: string[] = [];
  // Only the listed variables (config-env.ts), secrets read from their *_FILE if given.
  const env = readConfigEnv(rawEnv, problems, warnings);
  const fenestraEnv = env.FENESTRA_ENV;
  if (fenestraEnv !== undefined && !(ENVIRONMENTS as readonly string[]).includes(fenestraEnv)) {
    problems.push(`FENESTRA_ENV=${JSON.stringify(fenestraEnv)} must be one of ${ENVIRONMENTS.join(', ')}`);
  }
  const production = rawEnv.NODE_ENV === 'production' || fenestraEnv === 'production';
  const listen = parseListen(env.FENESTRA_LISTEN ?? '0.0.0.0:8443', problems);
  const port = listen.port <= 65535 ? listen.port : 8443;
  const defaultPublic = `https://localhost${port === 443 ? '' : `:${port}`}`;
  if (production && !env.FENESTRA_PUBLIC_URL) problems.push('FENESTRA_PUBLIC_URL is required in production');
  const publicUrl = parsePublicUrl(env.FENESTRA_PUBLIC_URL ?? defaultPublic, problems);
  const dataDir = path.resolve(env.FENESTRA_DATA_DIR ?? './data');
  const certsDir = path.resolve(env.FENESTRA_CERTS_DIR ?? './certs-dev');
  const adminToken = env.FENESTRA_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && (adminToken.length < 24 || /\s/.test(adminToken))) {
    problems.push('FENESTRA_ADMIN_TOKEN must be at least 24 characters without spaces (it travels as a Bearer token)');
  }
  if (production && !adminToken) problems.push('FENESTRA_ADMIN_TOKEN is required in production');
  const weak = production && adminToken ? weakTokenReason(adminToken) : undefined;
  if (weak) problems.push(`FENESTRA_ADMIN_TOKEN ${weak}: in production use a random one (openssl rand -base64 32)`);
  let entraAuthority: string | undefined;
  if (env.FENESTRA_ENTRA_AUTHORITY) {
    try {
      const u = new URL(env.FENESTRA_ENTRA_AUTHORITY);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      entraAuthority = env.FENESTRA_ENTRA_AUTHORITY.replace(/\/+$/, '');
      // Signing keys fetched over plain HTTP could be anyone's: http:// is for a local fake Entra in tests.
      if (production && u.protocol === 'http:') problems.push('FENESTRA_ENTRA_AUTHORITY must use https:// in production');
    } catch {
      problems.push(`FENESTRA_ENTRA_AUTHORITY=${JSON.stringify(env.FENESTRA_ENTRA_AUTHORITY)} is not an http(s) URL`);
    }
  }
  const logLevel = env.FENESTRA_LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`FENESTRA_LOG_LEVEL=${JSON.stringify(logLevel)} must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const certValidityDays = intVar(env, 'FENESTRA_CERT_VALIDITY_DAYS', 365, 1, 3650, problems);
  const databaseTimeoutMs = intVar(env, 'FENESTRA_DATABASE_TIMEOUT', 10, 1, 300, problems) * 1000;
  const requestDeadlineMs = intVar(env, 'FENESTRA_REQUEST_DEADLINE', 15, 1, 600, problems) * 1000;
  const renewPeriodDays = intVar(env, 'FENESTRA_RENEW_PERIOD_DAYS', 42, 1, 1000, problems);
  // A certificate inside its renewal window from the start is renewed at every check-in.
  const daysValid = !problems.some((p) => p.startsWith('FENESTRA_CERT_VALIDITY_DAYS=') || p.startsWith('FENESTRA_RENEW_PERIOD_DAYS='));
  if (daysValid && certValidityDays <= renewPeriodDays && fenestraEnv !== 'test') {
    problems.push(
      `FENESTRA_CERT_VALIDITY_DAYS (${certValidityDays}) must be longer than FENESTRA_RENEW_PERIOD_DAYS (${renewPeriodDays}): devices would renew at every check-in`,
    );
  }
  const providerId = env.FENESTRA_PROVIDER_ID ?? 'fenestra';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(providerId)) problems.push('FENESTRA_PROVIDER_ID must be 1-64 characters of A-Z a-z 0-9 . _ -');
  const secretKey = env.FENESTRA_SECRET_KEY || undefined;
  if (secretKey !== undefined && Buffer.from(secretKey, 'base64').length !== 32) {
    problems.push('FENESTRA_SECRET_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  }
  let trustedProxies: Config['trustedProxies'];
  const tp = env.FENESTRA_TRUSTED_PROXIES;
  const tf = env.FENESTRA_PROXY_CERT_FORMAT;
  if (tp || tf) {
    if (!tp || !tf) problems.push('FENESTRA_TRUSTED_PROXIES and FENESTRA_PROXY_CERT_FORMAT must be set together');
    else if (!isProxyCertFormat(tf)) problems.push(`FENESTRA_PROXY_CERT_FORMAT must be one of ${PROXY_CERT_FORMATS.join(', ')}`);
    else {
      const list = parseTrustedProxies(tp);
      if (list instanceof Error) problems.push(`FENESTRA_TRUSTED_PROXIES: ${list.message}`);
      else trustedProxies = { proxies: list, format: tf };
    }
  }
  const adminListen = env.FENESTRA_ADMIN_LISTEN ? parseListen(env.FENESTRA_ADMIN_LISTEN, problems, 'FENESTRA_ADMIN_LISTEN', '127.0.0.1:9443') : undefined;
  if (adminListen && adminListen.port === listen.port && adminListen.port !== 0)
    problems.push('FENESTRA_ADMIN_LISTEN must use another port than FENESTRA_LISTEN');
  const metricsToken = env.FENESTRA_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && (metricsToken.length < 24 || /\s/.test(metricsToken))) {
    problems.push('FENESTRA_METRICS_TOKEN must be at least 24 characters without spaces (it travels as a Bearer token)');
  }
  let workers = 1;
  const wraw = env.FENESTRA_WORKERS;
  if (wraw === 'auto') workers = Math.max(1, os.availableParallelism());
  else if (wraw) workers = intVar(env, 'FENESTRA_WORKERS', 1, 1, 64, problems);
  const maxConnections = intVar(env, 'FENESTRA_MAX_CONNECTIONS', 4096, 1, 1_000_000, problems);
  const tlsHandshakeTimeoutMs = intVar(env, 'FENESTRA_TLS_HANDSHAKE_TIMEOUT', 10, 1, 120, problems) * 1000;
  const tls = pairVar(env, 'FENESTRA_TLS_CERT', 'FENESTRA_TLS_KEY', problems);
  // The generated certificate is for development. Behind a TLS-terminating proxy the proxy shows
  // the public certificate, and the generated one secures only the hop to it (the proxy checks it
  // against the device CA).
  if (production && !env.FENESTRA_TLS_CERT && !env.FENESTRA_TLS_KEY && !trustedProxies) {
    problems.push(
      'FENESTRA_TLS_CERT and FENESTRA_TLS_KEY are required in production (a generated certificate is for development), unless a proxy terminates TLS (FENESTRA_TRUSTED_PROXIES)',
    );
  }
  const wns = parseWns(env, production, problems);
  const consoleSession = {
    idleMinutes: intVar(env, 'FENESTRA_CONSOLE_IDLE_MINUTES', 30, 1, 24 * 60, problems),
    hours: intVar(env, 'FENESTRA_CONSOLE_SESSION_HOURS', 12, 1, 24 * 30, problems),
  };
  const consoleEntra = parseConsoleEntra(env, { publicUrl, adminListen: adminListen !== undefined, test: fenestraEnv === 'test', production }, problems);
  const testOutbound = parseTestOutbound(env, fenestraEnv === 'test', problems);
  const entraGroupSyncMinutes = intVar(env, 'FENESTRA_ENTRA_GROUP_SYNC_MINUTES', 15, 0, 24 * 60, problems);
  const contentUrlTtlHours = intVar(env, 'FENESTRA_CONTENT_URL_TTL_HOURS', 24, 1, 168, problems);
  const contentMaxBytes = intVar(env, 'FENESTRA_CONTENT_MAX_BYTES', 8 * 2 ** 30, 1, 2 ** 40, problems);
  const contentStallSeconds = intVar(env, 'FENESTRA_CONTENT_STALL_SECONDS', 120, 1, 3600, problems);
  const appPrivateHosts = (env.FENESTRA_APP_PRIVATE_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of appPrivateHosts) {
    if (h !== '*' && !/^[a-z0-9.-]+$|^[0-9a-f:]+$/.test(h)) problems.push(`FENESTRA_APP_PRIVATE_HOSTS: ${JSON.stringify(h)} is not a host name or address`);
  }
  const cfg: Config = {
    contentUrlTtlHours,
    contentMaxBytes,
    contentStallSeconds,
    ...(appPrivateHosts.length ? { appPrivateHosts } : {}),
    entraGroupSyncMinutes,
    testOutbound,
    wns,
    consoleEntra,
    consoleSession,
    maxConnections,
    tlsHandshakeTimeoutMs,
    workers,
    adminListen,
    metricsToken,
    trustedProxies,
    publicUrl,
    listenHost: listen.host,
    listenPort: listen.port,
    dataDir,
    certsDir,
    database: parseDatabase(env.FENESTRA_DATABASE_URL, dataDir, problems),
    databaseTimeoutMs,
    requestDeadlineMs,
    tls,
    ca: pairVar(env, 'FENESTRA_CA_CERT', 'FENESTRA_CA_KEY', problems),
    adminToken,
    entraAuthority,
    logLevel,
    production,
    certValidityDays,
    renewPeriodDays,
    providerId,
    secretKey,
  };
  if (problems.length) throw new ConfigError(problems);
  if (warnings.length) cfg.warnings = warnings;
  return cfg;
}
