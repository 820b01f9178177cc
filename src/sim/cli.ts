// `fenestra sim`: enroll N simulated Windows devices against a server and run their check-ins,
// then print what happened (enrollments, sessions, commands by verb and status, latencies).
//
//   fenestra sim --url https://enterpriseenrollment.contoso.com --ca ca.pem \
//     --devices 50 --checkins 3 --entra-token-file tokens.txt --concurrency 8
import fs from 'node:fs';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { SimDevice, SimError, jwtClaims, type SimCredential } from './device.js';

export const SIM_USAGE = `usage: fenestra sim --url https://HOST [options]

Enrolls simulated Windows devices and runs OMA-DM check-ins against a fenestra server.

  --url URL                 public URL of the server (https://enterpriseenrollment.example.com)
  --connect HOST:PORT       connect here instead of the URL's host (TLS name stays the URL's)
  --ca FILE                 PEM trust anchor(s) for the server certificate (default: system CAs)
  --devices N               devices to enroll (default 1)
  --checkins N              check-ins per device after enrollment (default 1)
  --concurrency N           devices in flight at once (default min(devices, 8))
  --username U --password P on-premises enrollment account
  --entra-token-file FILE   Entra access tokens, one per line (device i uses line i mod count; a join
                            token's deviceid claim is the device's DeviceID: one token per device)
  --enrollment-type T       Device or Full (default Device with Entra, Full on-premises)
  --auth A                  certificate (mutual TLS, default) or digest (OMA-DM syncml:auth-md5)
  --sign-in                 Entra: check in with the enrollment token's user signed in
  --max-msg-size N          MaxMsgSize the devices announce
  --json                    print the summary as JSON
  --help                    this text
`;

class UsageError extends Error {}

export interface SimArgs {
  url: string;
  connectTo?: { host: string; port: number };
  ca?: string;
  devices: number;
  checkins: number;
  concurrency: number;
  credential: { kind: 'password'; username: string; password: string } | { kind: 'entra'; tokens: string[] };
  enrollmentType?: 'Device' | 'Full';
  auth: 'certificate' | 'digest';
  signIn: boolean;
  maxMsgSize?: number;
  json: boolean;
}

// The options of `fenestra sim`, for node:util parseArgs. Every value is a string here; numbers
// and choices are checked below, with messages that say what was expected.
const OPTIONS = {
  url: { type: 'string' },
  connect: { type: 'string' },
  ca: { type: 'string' },
  devices: { type: 'string' },
  checkins: { type: 'string' },
  concurrency: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'entra-token-file': { type: 'string' },
  'enrollment-type': { type: 'string' },
  auth: { type: 'string' },
  'max-msg-size': { type: 'string' },
  json: { type: 'boolean' },
  'sign-in': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

function int(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/**
 * parseArgs reads a value starting with "-" as a forgotten value ("--checkins -1"); a negative
 * number is joined to its option instead, so the operator hears the range it must be in.
 */
function joinNegativeNumbers(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out.at(-1);
    const takesValue = prev?.startsWith('--') && !prev.includes('=') && OPTIONS[prev.slice(2) as keyof typeof OPTIONS]?.type === 'string';
    if (takesValue && /^-\d/.test(a)) out[out.length - 1] = `${prev}=${a}`;
    else out.push(a);
  }
  return out;
}

/** parseArgs' own error (strict mode) as a message naming the option. */
function usageError(err: unknown): UsageError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message;
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return new UsageError(`unknown option ${JSON.stringify(option)}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError(`unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? message)} (options start with --)`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (message.includes('does not take an argument')) return new UsageError(`${option} takes no value`);
    return new UsageError(`${option} needs a value (one starting with "-" is written ${option}=-VALUE)`);
  }
  return err;
}

/** Parse `fenestra sim` arguments; throws UsageError with a message meant for the operator. */
export function parseSimArgs(argv: string[]): SimArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv), options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw usageError(err);
  }
  // parseArgs keeps the last of a repeated option; two values for one setting is a mistake here.
  const given = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || OPTIONS[t.name as keyof typeof OPTIONS].type !== 'string') continue;
    if (given.has(t.name)) throw new UsageError(`--${t.name} given twice`);
    given.add(t.name);
  }
  const v = parsed.values;
  if (v.help) return 'help';

  const url = v.url;
  if (!url) throw new UsageError('--url is required');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'https:') throw new UsageError('--url must be an https:// URL');
  if (u.pathname !== '/' || u.search || u.hash)
    throw new UsageError('--url is the server base URL, without a path (e.g. https://enterpriseenrollment.contoso.com)');

  let connectTo: SimArgs['connectTo'];
  const c = v.connect;
  if (c !== undefined) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(c);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--connect must be HOST:PORT, got ${JSON.stringify(c)}`);
    connectTo = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }

  let ca: string | undefined;
  const caFile = v.ca;
  if (caFile !== undefined) {
    try {
      ca = fs.readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--ca ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${caFile}: no PEM certificate in the file`);
  }

  const devices = v.devices !== undefined ? int('--devices', v.devices, 1) : 1;
  const checkins = v.checkins !== undefined ? int('--checkins', v.checkins, 0) : 1;
  const concurrency = v.concurrency !== undefined ? int('--concurrency', v.concurrency, 1) : Math.min(devices, 8);

  const { username, password } = v;
  const tokenFile = v['entra-token-file'];
  let credential: SimArgs['credential'];
  if (tokenFile !== undefined) {
    if (username !== undefined || password !== undefined) throw new UsageError('use either --entra-token-file or --username/--password, not both');
    let text: string;
    try {
      text = fs.readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--entra-token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const tokens = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (tokens.length === 0) throw new UsageError(`--entra-token-file ${tokenFile}: no token in the file`);
    const bad = tokens.findIndex((x) => x.split('.').length !== 3);
    if (bad >= 0) throw new UsageError(`--entra-token-file ${tokenFile}: line ${bad + 1} is not a JWT (header.payload.signature)`);
    credential = { kind: 'entra', tokens };
  } else if (username !== undefined || password !== undefined) {
    if (!username) throw new UsageError('--password needs --username');
    if (!password) throw new UsageError('--username needs --password');
    credential = { kind: 'password', username, password };
  } else {
    throw new UsageError('a credential is required: --entra-token-file FILE, or --username U --password P');
  }

  const et = v['enrollment-type'];
  if (et !== undefined && et !== 'Device' && et !== 'Full') throw new UsageError(`--enrollment-type must be Device or Full, got ${JSON.stringify(et)}`);
  const auth = v.auth ?? 'certificate';
  if (auth !== 'certificate' && auth !== 'digest') throw new UsageError(`--auth must be certificate or digest, got ${JSON.stringify(auth)}`);
  if (v['sign-in'] && credential.kind !== 'entra') throw new UsageError('--sign-in needs --entra-token-file');
  const maxMsgSize = v['max-msg-size'] !== undefined ? int('--max-msg-size', v['max-msg-size'], 1024) : undefined;

  return {
    url: u.origin,
    connectTo,
    ca,
    devices,
    checkins,
    concurrency,
    credential,
    enrollmentType: et as SimArgs['enrollmentType'],
    auth,
    signIn: v['sign-in'] ?? false,
    maxMsgSize,
    json: v.json ?? false,
  };
}

export interface SimSummary {
  devices: number;
  enrolled: number;
  enrollFailed: number;
  sessions: number;
  sessionsComplete: number;
  sessionsFailed: number;
  messages: number;
  /** "Verb status" → count, e.g. "Get 200": 12. */
  commands: Record<string, number>;
  enrollmentMs: { p50: number; p99: number } | null;
  roundTripMs: { p50: number; p99: number } | null;
  sessionMs: { p50: number; p99: number } | null;
  /** The first errors (de-duplicated), with how often each occurred. */
  errors: { message: string; count: number }[];
  wallMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function pct(values: number[]): { p50: number; p99: number } | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)) };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Run the simulation described by `a`. */
export async function simulate(a: SimArgs, progress?: (line: string) => void): Promise<SimSummary> {
  const started = performance.now();
  const enrollMs: number[] = [];
  const rtt: number[] = [];
  const sessionMs: number[] = [];
  const commands: Record<string, number> = {};
  const errors = new Map<string, number>();
  const sum = { enrolled: 0, enrollFailed: 0, sessions: 0, complete: 0, failed: 0, messages: 0 };
  const error = (m: string) => errors.set(m, (errors.get(m) ?? 0) + 1);

  const one = async (i: number) => {
    let credential: SimCredential;
    let token: string | undefined;
    let deviceId: string | undefined;
    if (a.credential.kind === 'entra') {
      token = a.credential.tokens[i % a.credential.tokens.length];
      credential = { kind: 'entra', token };
      // An Entra join enrolls the device its token names (deviceid claim): that is its DeviceID.
      const claimed = jwtClaims(token).deviceid;
      if ((a.enrollmentType ?? 'Device') === 'Device' && typeof claimed === 'string') deviceId = claimed.replace(/[{}-]/g, '').toUpperCase();
    } else {
      credential = a.credential;
    }
    const dev = await SimDevice.create({
      url: a.url,
      connectTo: a.connectTo,
      ca: a.ca,
      credential,
      enrollmentType: a.enrollmentType,
      auth: a.auth,
      maxMsgSize: a.maxMsgSize,
      deviceId,
    });
    const t0 = performance.now();
    try {
      await dev.enroll();
    } catch (err) {
      sum.enrollFailed++;
      error(err instanceof SimError ? err.message : `enrollment: ${(err as Error).message}`);
      return;
    }
    enrollMs.push(performance.now() - t0);
    sum.enrolled++;
    if (a.signIn && token) dev.signIn({ token });
    for (let k = 0; k < a.checkins && dev.state === 'enrolled'; k++) {
      const s0 = performance.now();
      let r;
      try {
        r = await dev.checkin();
      } catch (err) {
        sum.sessions++;
        sum.failed++;
        error(`management: ${(err as Error).message}`);
        break;
      }
      sessionMs.push(performance.now() - s0);
      sum.sessions++;
      sum.messages += r.latenciesMs.length;
      rtt.push(...r.latenciesMs);
      for (const c of r.commands) {
        const key = `${c.kind} ${c.status}`;
        commands[key] = (commands[key] ?? 0) + 1;
      }
      if (r.outcome === 'complete') sum.complete++;
      else {
        sum.failed++;
        error(`session ${r.outcome}: ${r.error ?? 'aborted by the server'}`);
      }
    }
  };

  let next = 0;
  let done = 0;
  const workers = Array.from({ length: Math.min(a.concurrency, a.devices) }, async () => {
    while (next < a.devices) {
      const i = next++;
      await one(i);
      done++;
      if (progress && (done % 25 === 0 || done === a.devices) && a.devices >= 25) progress(`${done}/${a.devices} devices done`);
    }
  });
  await Promise.all(workers);

  return {
    devices: a.devices,
    enrolled: sum.enrolled,
    enrollFailed: sum.enrollFailed,
    sessions: sum.sessions,
    sessionsComplete: sum.complete,
    sessionsFailed: sum.failed,
    messages: sum.messages,
    commands,
    enrollmentMs: pct(enrollMs),
    roundTripMs: pct(rtt),
    sessionMs: pct(sessionMs),
    errors: [...errors.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 10)
      .map(([message, count]) => ({ message, count })),
    wallMs: round(performance.now() - started),
  };
}

function formatSummary(a: SimArgs, s: SimSummary): string {
  const ms = (p: { p50: number; p99: number } | null) => (p ? `p50 ${p.p50} ms, p99 ${p.p99} ms` : '-');
  const cmds = Object.entries(s.commands).sort(([x], [y]) => x.localeCompare(y));
  const lines = [
    `fenestra sim: ${s.devices} device(s) against ${a.url}${a.connectTo ? ` (via ${a.connectTo.host}:${a.connectTo.port})` : ''}, ${a.checkins} check-in(s) each, ${(s.wallMs / 1000).toFixed(1)} s`,
    `  enrolled    ${s.enrolled}/${s.devices}, ${s.enrollFailed} failed; enrollment ${ms(s.enrollmentMs)}`,
    `  sessions    ${s.sessions}: ${s.sessionsComplete} complete, ${s.sessionsFailed} failed; session ${ms(s.sessionMs)}`,
    `  messages    ${s.messages}; round trip ${ms(s.roundTripMs)}`,
    `  commands    ${cmds.length ? cmds.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none received'}`,
  ];
  if (s.errors.length) {
    lines.push('  errors');
    for (const e of s.errors) lines.push(`    ${e.count}× ${e.message}`);
  }
  return lines.join('\n') + '\n';
}

/** What `fenestra sim` runs. Returns the process exit code: 0 when every enrollment and session succeeded, 1 otherwise. */
export async function runSim(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  let a: SimArgs | 'help';
  try {
    a = parseSimArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      out.write(`fenestra sim: ${err.message}\n(see fenestra sim --help)\n`);
      return 1;
    }
    throw err;
  }
  if (a === 'help') {
    out.write(SIM_USAGE);
    return 0;
  }
  let s: SimSummary;
  try {
    s = await simulate(a, a.json ? undefined : (line) => out.write(`  ${line}\n`));
  } catch (err) {
    out.write(`fenestra sim: ${(err as Error).message}\n`);
    return 1;
  }
  out.write(a.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(a, s));
  return s.enrollFailed === 0 && s.sessionsFailed === 0 && s.enrolled === s.devices ? 0 : 1;
}
