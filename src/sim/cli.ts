// `fenestra sim`: a fleet of simulated Windows devices. `enroll` (the default) enrolls N devices
// and runs their check-ins, then prints what happened (enrollments, sessions, commands by verb
// and status, latencies); with --state FILE the devices are kept, and the other subcommands
// (fleet-cli.ts) check them in again, sign users in and out, run them as a sustained fleet and
// take pushes.
//
//   fenestra sim --url https://enterpriseenrollment.contoso.com --ca ca.pem \
//     --devices 50 --checkins 3 --entra-token-file tokens.txt --concurrency 8
import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError, hostPort, int, parseOptions, readCa, readTokens } from './args.js';
import { SimDevice, SimError, jwtClaims, type SimCredential } from './device.js';
import type { FederatedSignInMethod } from './federated-sign-in.js';
import { FLEET_COMMANDS, runFleetCommand, type FleetCommand, type FleetRunOptions } from './fleet-cli.js';
import { Fleet } from './fleet.js';
import { StateFileError } from './state-file.js';

export const SIM_USAGE = `usage: fenestra sim [enroll] --url https://HOST [options]
       fenestra sim checkin|run|sign-in|sign-out|list --state FILE [options]

Simulated Windows devices against a fenestra server: they enroll, check in over OMA-DM, answer
the commands queued for them (a Windows DM tree: 418, 404, 405, Atomic rollback, Exec…), sign
users in and out, take pushes. With --state FILE the devices enrolled are kept in FILE (their
keys, certificates, DM credentials, DM tree and users; written mode 0600), and later runs act on
them, one run at a time per file (FILE.lock).

fenestra sim [enroll]: enroll devices, then check each in --checkins times
  --url URL                 public URL of the server (https://enterpriseenrollment.example.com)
  --connect HOST:PORT       connect here instead of the URL's host (TLS name stays the URL's)
  --ca FILE                 PEM trust anchor(s) for the server certificate (default: system CAs)
  --state FILE              keep the enrolled devices in FILE (added to those already there)
  --devices N               devices to enroll (default 1)
  --checkins N              check-ins per device after enrollment (default 1)
  --concurrency N           devices in flight at once (default min(devices, 8))
  --username U --password P on-premises enrollment account
  --federated METHOD        enroll through the server's federated sign-in page, as "Enroll only in
                            device management" does (Federated discovery, then the page the answer
                            names): account — --username/--password posted in the page's form —
                            or entra — the page's Entra ID sign-in, followed to the tenant's
                            authorize endpoint, which must sign the user in without a form of its
                            own (a test provider; Microsoft's interactive page is not simulated)
  --upn UPN                 with --federated: the login_hint, the address the user typed in
                            Settings (a domain a connected tenant holds sends entra straight there)
  --tenant ID               with --federated entra: the tenant to pick when the page lists several
  --entra-token-file FILE   Entra access tokens, one per line (device i uses line i mod count; a join
                            token's deviceid claim is the device's DeviceID: one token per device)
  --enrollment-type T       Device or Full (default Device with Entra, Full on-premises)
  --auth A                  certificate (mutual TLS, default) or digest (OMA-DM syncml:auth-md5)
  --sign-in                 Entra: check in with the enrollment token's user signed in
  --max-msg-size N          MaxMsgSize the devices announce
  --json                    print the summary as JSON

fenestra sim checkin --state FILE: the saved devices check in once, answer whatever is queued for
them and print it ("device X: Exec ./Device/Vendor/MSFT/RemoteWipe/doWipe → 200")
  --device ID               this device (DeviceID or a unique prefix; repeatable; default --all)
  --all                     every device of the file
  --concurrency N           devices in flight at once (default 8)
  --push-listen HOST:PORT   serve the devices' WNS channels (below), then wait for pushes
  --duration D              with --push-listen: stop waiting after D (default: until Ctrl-C)
  --verbose                 print every Get too (otherwise counted)

fenestra sim run --state FILE: a sustained fleet, every device checks in again and again until
Ctrl-C or --duration, then the summary is printed
  --interval D              every D (30s, 5m, 500ms), ±10% jitter; default: the DMClient Poll
                            schedule each device holds (the server may change it)
  --time-scale N            with the Poll schedule: N times faster (60: a minute lasts a second)
  --duration D              stop after D
  --cycles N                stop after N check-ins of each device
  --device ID | --all       which devices (default all)
  --push-listen HOST:PORT   serve the devices' WNS channels (below)
  --verbose                 print every Get too

fenestra sim sign-in --state FILE --device ID --token-file FILE: an Entra user (the access token
in FILE) signs in on the device, which checks in with the user's token (Alert 1224 AADUserToken,
./User addressed to them). Several users may be signed in; the last one is at the console.
fenestra sim sign-out --state FILE --device ID [--user UPN|OID]: the user at the console (or
--user) signs out; the device checks in with whoever is at the console now, or nobody.
fenestra sim list --state FILE: the saved devices, their state and users.

  every subcommand takes --connect HOST:PORT and --ca FILE (default: those given at enrollment),
  --json (the summary as JSON), --help (this text)

Apps: the devices answer the MSI (EnterpriseDesktopAppManagement DownloadInstall) and MSIX
(EnterpriseModernAppManagement HostedInstall) Execs with 202, then after the session download the
package over HTTPS into FILE.apps/<DeviceID>/ (resuming with Range after a dropped connection),
check its SHA-256, install it and report Status, LastError and an alert in the next session.
checkin, run, sign-in and sign-out take --app-fault F (repeatable) to make that fail:
  cut-download:N            the first download attempt of each job is dropped after N bytes and
                            resumed at the next check-in (MSI Status 25 in between)
  hash                      the downloaded bytes are corrupted: MSI 30 with 0x80096010, MSIX 2
  install                   the installer fails: MSI 60 with 0x80070643, MSIX 2
  download                  every download fails for good: MSI 30, MSIX 2

Enrollment Status Page: after an Entra join and at each user's first sign-in the devices show the
page the server declares in DMClient FirstSyncStatus, follow each Expected* item and end it when
the server sets ServerHasFinishedProvisioning, or show CustomErrorText after TimeOutUntilSyncFailure;
checkin prints the page while it shows and when it ends, list its state.

Push: with --push-listen HOST:PORT a device reports Push/ChannelURI http://HOST:PORT/wns/<DeviceID>
and Push/Status 0 once the server has set its Push/PFN. A POST there with X-WNS-Type: wns/raw and
Authorization: Bearer <token> answers 200 and the device checks in at once (Alert 1200); a wrong
or missing header → 400, an unknown device → 404.
`;

export interface SimArgs {
  url: string;
  /** --state FILE: keep the enrolled devices. */
  state?: string;
  connectTo?: { host: string; port: number };
  ca?: string;
  devices: number;
  checkins: number;
  concurrency: number;
  credential:
    | { kind: 'password'; username: string; password: string }
    | { kind: 'entra'; tokens: string[] }
    | { kind: 'federated'; method: FederatedSignInMethod; upn?: string };
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
  state: { type: 'string' },
  devices: { type: 'string' },
  checkins: { type: 'string' },
  concurrency: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'entra-token-file': { type: 'string' },
  federated: { type: 'string' },
  upn: { type: 'string' },
  tenant: { type: 'string' },
  'enrollment-type': { type: 'string' },
  auth: { type: 'string' },
  'max-msg-size': { type: 'string' },
  json: { type: 'boolean' },
  'sign-in': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** Parse `fenestra sim` arguments; throws UsageError with a message meant for the operator. */
export function parseSimArgs(argv: string[]): SimArgs | 'help' {
  const v = parseOptions(argv, OPTIONS);
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

  const connectTo = v.connect !== undefined ? hostPort('--connect', v.connect) : undefined;
  const ca = v.ca !== undefined ? readCa(v.ca) : undefined;

  const devices = v.devices !== undefined ? int('--devices', v.devices, 1) : 1;
  const checkins = v.checkins !== undefined ? int('--checkins', v.checkins, 0) : 1;
  const concurrency = v.concurrency !== undefined ? int('--concurrency', v.concurrency, 1) : Math.min(devices, 8);

  const { username, password } = v;
  const tokenFile = v['entra-token-file'];
  let credential: SimArgs['credential'];
  const federated = v.federated;
  if (federated === undefined) {
    if (v.upn !== undefined) throw new UsageError('--upn needs --federated');
    if (v.tenant !== undefined) throw new UsageError('--tenant needs --federated entra');
  }
  if (federated !== undefined) {
    if (federated !== 'entra' && federated !== 'account') throw new UsageError(`--federated must be entra or account, got ${JSON.stringify(federated)}`);
    if (tokenFile !== undefined) throw new UsageError('use either --entra-token-file or --federated, not both');
    const upn = v.upn;
    if (upn !== undefined && (upn.length === 0 || upn.length > 256 || /[\s<>]/.test(upn)))
      throw new UsageError(`--upn must be a user name such as ada@contoso.com, got ${JSON.stringify(upn)}`);
    if (federated === 'entra') {
      if (username !== undefined || password !== undefined) throw new UsageError('--federated entra signs in with Entra ID: no --username/--password');
      const tenantId = v.tenant;
      if (tenantId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId))
        throw new UsageError(`--tenant must be a tenant ID (GUID), got ${JSON.stringify(tenantId)}`);
      credential = { kind: 'federated', method: { kind: 'entra', ...(tenantId ? { tenantId: tenantId.toLowerCase() } : {}) }, upn };
    } else {
      if (v.tenant !== undefined) throw new UsageError('--tenant needs --federated entra');
      if (!username || !password) throw new UsageError('--federated account needs --username and --password');
      credential = { kind: 'federated', method: { kind: 'account', username, password }, upn: upn ?? username };
    }
  } else if (tokenFile !== undefined) {
    if (username !== undefined || password !== undefined) throw new UsageError('use either --entra-token-file or --username/--password, not both');
    const tokens = readTokens('--entra-token-file', tokenFile);
    credential = { kind: 'entra', tokens };
  } else if (username !== undefined || password !== undefined) {
    if (!username) throw new UsageError('--password needs --username');
    if (!password) throw new UsageError('--username needs --password');
    credential = { kind: 'password', username, password };
  } else {
    throw new UsageError('a credential is required: --entra-token-file FILE, --username U --password P, or --federated entra|account');
  }

  const et = v['enrollment-type'];
  if (et !== undefined && et !== 'Device' && et !== 'Full') throw new UsageError(`--enrollment-type must be Device or Full, got ${JSON.stringify(et)}`);
  const auth = v.auth ?? 'certificate';
  if (auth !== 'certificate' && auth !== 'digest') throw new UsageError(`--auth must be certificate or digest, got ${JSON.stringify(auth)}`);
  if (v['sign-in'] && credential.kind !== 'entra') throw new UsageError('--sign-in needs --entra-token-file');
  const maxMsgSize = v['max-msg-size'] !== undefined ? int('--max-msg-size', v['max-msg-size'], 1024) : undefined;

  return {
    url: u.origin,
    ...(v.state !== undefined ? { state: v.state } : {}),
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
export async function simulate(a: SimArgs, progress?: (line: string) => void, enrolled?: (dev: SimDevice) => void): Promise<SimSummary> {
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
    enrolled?.(dev);
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

/** What `fenestra sim` runs. Returns the process exit code: 0 when everything succeeded, 1 otherwise. */
export async function runSim(argv: string[], out: NodeJS.WritableStream, o: FleetRunOptions = {}): Promise<number> {
  const fleetCmd = FLEET_COMMANDS.find((c) => c === argv[0]);
  const sub = fleetCmd ?? 'enroll';
  const args = fleetCmd || argv[0] === 'enroll' ? argv.slice(1) : argv;
  const fail = (err: unknown): number => {
    if (err instanceof UsageError) {
      out.write(`fenestra sim${sub === 'enroll' ? '' : ` ${sub}`}: ${err.message}\n(see fenestra sim --help)\n`);
      return 1;
    }
    if (err instanceof StateFileError) {
      out.write(`fenestra sim: ${err.message}\n`);
      return 1;
    }
    throw err;
  };
  if (fleetCmd) {
    try {
      const code = await runFleetCommand(fleetCmd as FleetCommand, args, out, o);
      if (code === 'help') out.write(SIM_USAGE);
      return code === 'help' ? 0 : code;
    } catch (err) {
      return fail(err);
    }
  }
  let a: SimArgs | 'help';
  let fleet: Fleet | undefined;
  try {
    a = parseSimArgs(args);
    if (a !== 'help' && a.state) {
      const c = a.connectTo;
      fleet = Fleet.forEnrollment(
        a.state,
        { url: a.url, ca: a.ca, connect: c ? `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}` : undefined },
        () => {},
      );
    }
  } catch (err) {
    return fail(err);
  }
  if (a === 'help') {
    out.write(SIM_USAGE);
    return 0;
  }
  const args_ = a;
  let s: SimSummary;
  try {
    s = await simulate(a, a.json ? undefined : (line) => out.write(`  ${line}\n`), (dev) =>
      fleet?.add(dev, { auth: args_.auth, maxMsgSize: args_.maxMsgSize, enrolledAt: new Date().toISOString() }),
    );
  } catch (err) {
    fleet?.close();
    out.write(`fenestra sim: ${(err as Error).message}\n`);
    return 1;
  }
  if (fleet) {
    const now = new Date().toISOString();
    for (const d of fleet.devices.values()) if (d.dev.sessions > 0 && !d.meta.lastCheckinAt) d.meta.lastCheckinAt = now;
    try {
      fleet.save();
    } catch (err) {
      return fail(err);
    } finally {
      fleet.close();
    }
  }
  out.write(
    a.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(a, s) + (fleet ? `  state       ${fleet.devices.size} device(s) in ${fleet.file}\n` : ''),
  );
  return s.enrollFailed === 0 && s.sessionsFailed === 0 && s.enrolled === s.devices ? 0 : 1;
}
