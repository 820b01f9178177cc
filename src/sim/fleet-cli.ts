// `fenestra sim checkin | run | sign-in | sign-out | list`: what the simulator does with the
// devices of a state file (written by `fenestra sim enroll --state FILE`). See SIM_USAGE.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError, duration, hostPort, int, parseOptions, readCa, readTokens } from './args.js';
import { parseAppFault, type AppFaults } from './apps/faults.js';
import { jwtClaims } from './device.js';
import { Fleet, type FleetDevice, type FleetStats } from './fleet.js';
import { startPushListener, type PushListener } from './push-listener.js';

export const FLEET_COMMANDS = ['checkin', 'run', 'sign-in', 'sign-out', 'list'] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];

const COMMON = {
  state: { type: 'string' },
  connect: { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

const OPTIONS = {
  checkin: {
    ...COMMON,
    device: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    concurrency: { type: 'string' },
    'push-listen': { type: 'string' },
    duration: { type: 'string' },
    verbose: { type: 'boolean' },
    'app-fault': { type: 'string', multiple: true },
  },
  run: {
    ...COMMON,
    device: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    interval: { type: 'string' },
    duration: { type: 'string' },
    cycles: { type: 'string' },
    'time-scale': { type: 'string' },
    'push-listen': { type: 'string' },
    verbose: { type: 'boolean' },
    'app-fault': { type: 'string', multiple: true },
  },
  'sign-in': {
    ...COMMON,
    device: { type: 'string' },
    'token-file': { type: 'string' },
    verbose: { type: 'boolean' },
    'app-fault': { type: 'string', multiple: true },
  },
  'sign-out': {
    ...COMMON,
    device: { type: 'string' },
    user: { type: 'string' },
    verbose: { type: 'boolean' },
    'app-fault': { type: 'string', multiple: true },
  },
  list: COMMON,
} as const satisfies Record<FleetCommand, ParseArgsOptionsConfig>;

/** Scheduled check-ins are spread by ±JITTER of their interval, so a fleet does not call in lockstep. */
const JITTER = 0.1;

export interface FleetRunOptions {
  /** Stops `run` (and a `checkin --push-listen` wait) as SIGINT does. */
  signal?: AbortSignal;
}

/** Run one fleet subcommand; returns the exit code. Throws UsageError for the command line, StateFileError for the file. */
export async function runFleetCommand(cmd: FleetCommand, argv: string[], out: NodeJS.WritableStream, o: FleetRunOptions = {}): Promise<number | 'help'> {
  const v = parseOptions(argv, OPTIONS[cmd] as ParseArgsOptionsConfig) as Record<string, string | string[] | boolean | undefined>;
  if (v.help) return 'help';
  const str = (k: string) => v[k] as string | undefined;
  const file = str('state');
  if (!file) throw new UsageError(`fenestra sim ${cmd} needs --state FILE (written by fenestra sim enroll --state FILE)`);
  const connectTo = str('connect') !== undefined ? hostPort('--connect', str('connect')!) : undefined;
  const ca = str('ca') !== undefined ? readCa(str('ca')!) : undefined;
  const devices = (v.device === undefined ? [] : Array.isArray(v.device) ? v.device : [v.device]) as string[];
  if (v.all && devices.length) throw new UsageError('use either --device or --all');
  const push = str('push-listen') !== undefined ? hostPort('--push-listen', str('push-listen')!, true) : undefined;
  const durationMs = str('duration') !== undefined ? duration('--duration', str('duration')!) : undefined;
  if (cmd === 'checkin' && durationMs !== undefined && !push)
    throw new UsageError('--duration with checkin is how long to wait for pushes: it needs --push-listen');
  const limit = str('concurrency') !== undefined ? int('--concurrency', str('concurrency')!, 1) : 8;
  const intervalMs = str('interval') !== undefined ? duration('--interval', str('interval')!) : undefined;
  const cycles = str('cycles') !== undefined ? int('--cycles', str('cycles')!, 1) : undefined;
  const scale = str('time-scale') !== undefined ? int('--time-scale', str('time-scale')!, 1) : 1;
  if (intervalMs !== undefined && str('time-scale') !== undefined) throw new UsageError('--time-scale shortens the Poll schedule: not with --interval');
  const json = v.json === true;
  const appFaults: AppFaults = {};
  for (const f of (v['app-fault'] ?? []) as string[]) {
    try {
      parseAppFault(f, appFaults);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  // Lines go out as they happen; with --json they are left out and only the summary is printed.
  const print = json ? () => {} : (line: string) => out.write(line + '\n');

  if (cmd === 'sign-in' || cmd === 'sign-out') {
    if (!str('device')) throw new UsageError(`fenestra sim ${cmd} needs --device DEVICEID`);
    if (cmd === 'sign-in' && !str('token-file')) throw new UsageError('fenestra sim sign-in needs --token-file FILE (the user\u2019s Entra access token)');
  }
  const tokens = cmd === 'sign-in' ? readTokens('--token-file', str('token-file')!) : undefined;
  if (tokens && tokens.length > 1) throw new UsageError(`--token-file ${str('token-file')}: one token (one user) per sign-in, the file has ${tokens.length}`);

  const fleet = Fleet.load(file, { ca, connectTo }, print, cmd === 'list');
  try {
    fleet.verbose = v.verbose === true;
    fleet.appFaults = appFaults;

    if (cmd === 'list') {
      const rows = [...fleet.devices.values()].map((d) => ({
        deviceId: d.dev.deviceId,
        enrollmentType: d.dev.enrollmentType,
        state: d.dev.wiped ? 'wiped' : d.dev.state,
        users: d.dev.users.map((u) => ('token' in u ? (u.upn ?? u.key) : 'other')),
        enrolledAt: d.meta.enrolledAt,
        lastCheckinAt: d.meta.lastCheckinAt,
        esp: d.dev.esp.phases.map((p) => ({
          user: p.user,
          status: p.status,
          items: p.items.length,
          done: p.items.filter((i) => i.status === 'done').length,
          errorText: p.errorText,
        })),
      }));
      if (json) out.write(JSON.stringify({ url: fleet.header.url, devices: rows }, null, 2) + '\n');
      else {
        out.write(`${file}: ${rows.length} device(s) of ${fleet.header.url}\n`);
        for (const r of rows) {
          out.write(`  ${r.deviceId}  ${r.enrollmentType.padEnd(6)} ${r.state.padEnd(10)} last check-in ${r.lastCheckinAt ?? 'never'}`);
          out.write(r.users.length ? `  users: ${r.users.join(', ')} (at the console: ${r.users.at(-1)})\n` : '\n');
          for (const p of r.esp.filter((x) => x.status !== 'not-declared'))
            out.write(
              `    ESP ${p.user ? `user ${p.user}` : 'device'}: ${p.status}, ${p.done}/${p.items} items done${p.errorText ? ` — "${p.errorText}"` : ''}\n`,
            );
        }
      }
      return 0;
    }

    if (cmd === 'sign-in' || cmd === 'sign-out') {
      const [d] = fleet.select([str('device')!]);
      const why = fleet.active(d);
      if (why) throw new UsageError(`device ${d.dev.deviceId} ${why}`);
      let who: string;
      if (cmd === 'sign-in') {
        const claims = jwtClaims(tokens![0]);
        who = String(claims.upn ?? claims.preferred_username ?? claims.oid ?? 'the user');
        d.dev.signIn({ token: tokens![0] });
      } else {
        const user = str('user');
        const atConsole = d.dev.users.at(-1);
        who = user ?? (atConsole && 'key' in atConsole ? (atConsole.upn ?? atConsole.key) : 'the local user');
        if (!d.dev.signOut(user)) throw new UsageError(user ? `${user} is not signed in on ${d.dev.deviceId}` : `nobody is signed in on ${d.dev.deviceId}`);
      }
      const shown = d.dev.users.at(-1);
      print(
        `device ${d.dev.deviceId}: ${who} signed ${cmd === 'sign-in' ? 'in' : 'out'}; at the console: ${shown ? ('key' in shown ? (shown.upn ?? shown.key) : 'a local user') : 'nobody'}`,
      );
      // Windows checks in at a sign-in (PollOnLogin) and the next session says who is there.
      const r = await fleet.checkin(d);
      fleet.save();
      if (json)
        out.write(
          JSON.stringify({ deviceId: d.dev.deviceId, users: d.dev.users.map((u) => ('key' in u ? u.key : 'other')), stats: fleet.stats }, null, 2) + '\n',
        );
      return r?.outcome === 'complete' ? 0 : 1;
    }

    const chosen = fleet.select(devices);
    let listener: PushListener | undefined;
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
    if (o.signal?.aborted) stop.abort();
    const timer = durationMs !== undefined ? setTimeout(() => stop.abort(), durationMs) : undefined;
    const started = performance.now();
    try {
      if (push) {
        listener = await startPushListener(push.host, push.port, (id) => fleet.push(id));
        for (const d of fleet.devices.values()) d.dev.pushChannel = listener.channelFor(d.dev.deviceId);
        print(`push channels: ${listener.baseUrl}/wns/<DeviceID>`);
      }
      if (cmd === 'checkin') {
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(limit, chosen.length) }, async () => {
            while (next < chosen.length) await fleet.checkin(chosen[next++]);
          }),
        );
        fleet.save();
        if (listener && !stop.signal.aborted) {
          print(`waiting for pushes${durationMs !== undefined ? ` for ${durationMs / 1000} s` : ''} (Ctrl-C stops)`);
          await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
        }
      } else {
        print(
          `running ${chosen.length} device(s): ${intervalMs !== undefined ? `every ${intervalMs / 1000} s` : `on their DMClient Poll schedule${scale > 1 ? `, ${scale}× faster` : ''}`}` +
            `${cycles ? `, ${cycles} check-in(s) each` : ''}${durationMs !== undefined ? ` for ${durationMs / 1000} s` : ''} (Ctrl-C stops)`,
        );
        await Promise.all(chosen.map((d) => poll(fleet, d, { intervalMs, scale, cycles, signal: stop.signal, print })));
      }
    } finally {
      process.off('SIGINT', onSigint);
      if (timer) clearTimeout(timer);
      await listener?.close();
      await fleet.settle();
      fleet.save();
    }
    const s = fleet.stats;
    const wallMs = Math.round(performance.now() - started);
    if (json) out.write(JSON.stringify({ devices: chosen.length, ...s, wallMs }, null, 2) + '\n');
    else out.write(formatStats(cmd, chosen.length, s, wallMs));
    return s.failed === 0 ? 0 : 1;
  } finally {
    fleet.close();
  }
}

/** One device of `run`: check in every interval (or by its Poll schedule), jittered, until stopped. */
async function poll(
  fleet: Fleet,
  d: FleetDevice,
  o: { intervalMs?: number; scale: number; cycles?: number; signal: AbortSignal; print: (line: string) => void },
): Promise<void> {
  for (let n = 0; o.cycles === undefined || n < o.cycles; n++) {
    if (fleet.active(d)) return;
    const base = o.intervalMs ?? fleet.nextPollMs(d, o.scale);
    if (base === undefined) {
      o.print(`device ${d.dev.deviceId} has no DMClient Poll schedule: give --interval`);
      return;
    }
    // The first wait is anywhere in the interval, so the fleet's sessions spread over it.
    const wait = n === 0 ? Math.random() * base : base * (1 + JITTER * (2 * Math.random() - 1));
    try {
      await sleep(wait, undefined, { signal: o.signal });
    } catch {
      return; // stopped
    }
    // Only the device's own schedule is counted: --interval replaces it for this run.
    await fleet.checkin(d, { scheduled: o.intervalMs === undefined });
  }
}

function formatStats(cmd: string, devices: number, s: FleetStats, wallMs: number): string {
  const cmds = Object.entries(s.commands).sort(([x], [y]) => x.localeCompare(y));
  return [
    `fenestra sim ${cmd}: ${devices} device(s), ${(wallMs / 1000).toFixed(1)} s`,
    `  sessions    ${s.sessions}: ${s.complete} complete, ${s.failed} failed; pushes taken ${s.pushes}`,
    `  commands    ${cmds.length ? cmds.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none received'}`,
    '',
  ].join('\n');
}
