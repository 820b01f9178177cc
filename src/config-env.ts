// The FENESTRA_* variables, in one list that loadConfig reads through: it gets only the listed
// names (typed), so a variable it parses cannot be missing here, and anything else in the
// environment that starts with FENESTRA_ is a typo worth a warning (today such a typo silently
// gave a generated token or a localhost URL). Secrets also come from files (`<NAME>_FILE`, for
// container secrets).
import fs from 'node:fs';

/** Read by loadConfig. `secret`: also accepted as <NAME>_FILE. */
const CONFIG_VARS = {
  FENESTRA_ENV: {},
  FENESTRA_PUBLIC_URL: {},
  FENESTRA_LISTEN: {},
  FENESTRA_ADMIN_LISTEN: {},
  FENESTRA_DATA_DIR: {},
  FENESTRA_CERTS_DIR: {},
  FENESTRA_DATABASE_URL: { secret: true },
  FENESTRA_DATABASE_TIMEOUT: {},
  FENESTRA_REQUEST_DEADLINE: {},
  FENESTRA_TLS_CERT: {},
  FENESTRA_TLS_KEY: {},
  FENESTRA_CA_CERT: {},
  FENESTRA_CA_KEY: {},
  FENESTRA_ADMIN_TOKEN: { secret: true },
  FENESTRA_METRICS_TOKEN: { secret: true },
  FENESTRA_SECRET_KEY: { secret: true },
  FENESTRA_ENTRA_AUTHORITY: {},
  FENESTRA_LOG_LEVEL: {},
  FENESTRA_CERT_VALIDITY_DAYS: {},
  FENESTRA_RENEW_PERIOD_DAYS: {},
  FENESTRA_PROVIDER_ID: {},
  FENESTRA_TRUSTED_PROXIES: {},
  FENESTRA_PROXY_CERT_FORMAT: {},
  FENESTRA_WORKERS: {},
  FENESTRA_MAX_CONNECTIONS: {},
  FENESTRA_TLS_HANDSHAKE_TIMEOUT: {},
  FENESTRA_WNS_PFN: {},
  FENESTRA_WNS_CLIENT_ID: {},
  FENESTRA_WNS_CLIENT_SECRET: { secret: true },
  FENESTRA_WNS_TOKEN_URL: {},
  FENESTRA_WNS_CHANNEL_HOSTS: {},
  FENESTRA_CONSOLE_IDLE_MINUTES: {},
  FENESTRA_CONSOLE_SESSION_HOURS: {},
  FENESTRA_CONSOLE_ENTRA_TENANT_ID: {},
  FENESTRA_CONSOLE_ENTRA_CLIENT_ID: {},
  FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET: { secret: true },
  FENESTRA_CONSOLE_ENTRA_CLOUD: {},
  FENESTRA_CONSOLE_ENTRA_ROLES: {},
  FENESTRA_CONSOLE_ENTRA_AUTHORITY: {},
  FENESTRA_CONSOLE_ENTRA_REDIRECT_URI: {},
  FENESTRA_ENTRA_GROUP_SYNC_MINUTES: {},
  FENESTRA_CONTENT_URL_TTL_HOURS: {},
  FENESTRA_CONTENT_MAX_BYTES: {},
  FENESTRA_CONTENT_STALL_SECONDS: {},
  FENESTRA_APP_PRIVATE_HOSTS: {},
  FENESTRA_TEST_OUTBOUND: {},
  FENESTRA_TEST_OUTBOUND_CA: {},
} as const satisfies Record<string, { secret?: true }>;

/**
 * Read elsewhere, not by loadConfig: the cluster's worker index, the CLI's server URL, and the
 * test suite's switches. Known, so not warned about.
 */
const OTHER_VARS = ['FENESTRA_WORKER_INDEX', 'FENESTRA_URL', 'FENESTRA_TEST_DATABASE', 'FENESTRA_TEST_PG', 'FENESTRA_WRITE_SCHEMAS', 'FENESTRA_WRITE_FIXTURES'];

export type ConfigVar = keyof typeof CONFIG_VARS;
/** The environment as loadConfig sees it: the listed names only, secrets read from their files. */
export type ConfigEnv = Partial<Record<ConfigVar, string>>;

/** Every name fenestra reads, for the README check and the warnings. */
export const KNOWN_VARS: readonly string[] = [
  ...Object.keys(CONFIG_VARS),
  ...Object.entries(CONFIG_VARS)
    .filter(([, v]) => 'secret' in v)
    .map(([k]) => `${k}_FILE`),
  ...OTHER_VARS,
];

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, if it is close enough to be a typo. */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let d = Infinity;
  for (const k of KNOWN_VARS) {
    const x = distance(name, k);
    if (x < d) [best, d] = [k, x];
  }
  return d <= Math.max(2, Math.floor(name.length / 5)) ? best : undefined;
}

/** Warnings for FENESTRA_* names nobody reads, with a "did you mean" for close ones. */
function unknownVarWarnings(env: Record<string, string | undefined>): string[] {
  const known = new Set(KNOWN_VARS);
  return Object.keys(env)
    .filter((k) => k.startsWith('FENESTRA_') && !known.has(k))
    .sort()
    .map((k) => {
      const near = closest(k);
      const base = k.endsWith('_FILE') ? k.slice(0, -'_FILE'.length) : undefined;
      const hint = near
        ? `: did you mean ${near}?`
        : base && base in CONFIG_VARS
          ? `: only secrets are read from files (${Object.keys(CONFIG_VARS)
              .filter((n) => 'secret' in CONFIG_VARS[n as ConfigVar])
              .map((n) => `${n}_FILE`)
              .join(', ')})`
          : '';
      return `${k} is not a fenestra variable and is ignored${hint}`;
    });
}

/**
 * The environment for loadConfig: known names only; a secret given as <NAME>_FILE is read from
 * that file (one trailing newline dropped). Both forms set, or an unreadable file, is a problem.
 */
export function readConfigEnv(env: Record<string, string | undefined>, problems: string[], warnings: string[]): ConfigEnv {
  const out: ConfigEnv = {};
  for (const [name, spec] of Object.entries(CONFIG_VARS) as [ConfigVar, { secret?: true }][]) {
    const file = spec.secret ? env[`${name}_FILE`] : undefined;
    if (file) {
      if (env[name]) {
        problems.push(`${name} and ${name}_FILE are both set: set one`);
        continue;
      }
      try {
        out[name] = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        // The path is shown, never the content.
        problems.push(`${name}_FILE=${JSON.stringify(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      continue;
    }
    if (env[name] !== undefined) out[name] = env[name];
  }
  warnings.push(...unknownVarWarnings(env));
  return out;
}
