// What the device's answers mean for profile deliveries: once every command of a delivery's
// batch is answered, its row becomes delivered, verified (the read-back matched), failed (with
// the SyncML status and LocURI), held (Windows refused ./User settings: no user context on this
// enrollment — not a failure, tried again when that changes) or removed. Pure.
//
// Apps install asynchronously: an accepted install Exec (200/202) makes the row 'delivered' with
// the detail "installing"; the Gets of its Status (LastError, LastErrorDesc) that later sessions
// send make it verified (MSI 70, MSIX 3 or its installation node gone, Office 0), failed (MSI 30
// or 60, MSIX 2, an Office error code, MSI/Office Status 404: not installed — with LastError as
// an HRESULT and LastErrorDesc), or leave it delivered with the stage ("installing: download in
// progress (20)").
import { appProgress, startsInstall, trackedNode } from '../../protocol/csp/app.js';
import { readBackDigest } from '../../protocol/csp/delta.js';
import type { AppTracking } from '../../protocol/csp/types.js';
import type { CommandAck, CommandRecord } from '../../domain/command.js';
import type { ProfileDelivery } from '../../domain/profile.js';

/** What Windows answers to ./User commands where the enrollment has no user context (MS-MDM; issue #4). */
const NO_USER_CONTEXT = new Set(['405', '500', '216', '507']);
const IN_FLIGHT = new Set(['queued', 'held', 'sent']);

interface Failure {
  status: string;
  uri?: string;
  error?: string;
}

function applyAck(c: CommandRecord, a: CommandAck | undefined): CommandRecord {
  if (!a) return c;
  if (a.requeueAs) return { ...c, state: 'queued' };
  return { ...c, state: a.state, status: a.status ?? c.status, detail: a.detail ?? c.detail, results: a.results ?? c.results, error: a.error };
}

/** Where a failed command failed: the first failing member of an Atomic, else its first item. */
function failurePoint(c: CommandRecord): Failure {
  if (c.payload.commands && c.detail?.children?.length) {
    const bad = c.detail.children.find((x) => x.status[0] !== '2');
    if (bad) return { status: bad.status, uri: c.payload.commands[bad.index]?.items?.[0]?.target };
  }
  return { status: c.status ?? '', uri: c.payload.items?.[0]?.target ?? c.payload.commands?.[0]?.items?.[0]?.target, error: c.error };
}

const describe = (f: Failure) => (f.status ? `${f.status} at ${f.uri ?? '?'}` : `${f.error ?? 'failed'}${f.uri ? ` (${f.uri})` : ''}`);

function readBackMismatches(c: CommandRecord): string[] {
  const expect = c.profile?.expect ?? {};
  if (c.state !== 'acked') return Object.keys(expect).map((uri) => `read back failed (${c.status ?? 'no status'}) at ${uri}`);
  const out: string[] = [];
  for (const [uri, digest] of Object.entries(expect)) {
    const r = c.results?.find((x) => x.locUri === uri);
    if (!r || r.data === undefined) out.push(`nothing read back at ${uri}`);
    else if (readBackDigest(r.format, r.data) !== digest) out.push(`read back differs at ${uri}`);
  }
  return out;
}

/** A batch of Gets of an app's progress nodes (plan.ts appStep): what they read, or undefined when it is not one. */
function appPoll(cmds: CommandRecord[]): ReturnType<typeof appProgress> | undefined {
  if (!cmds.length || cmds.some((c) => c.profile?.op !== 'verify' || c.payload.kind !== 'Get')) return undefined;
  const read: { status?: string; statusCode?: string; lastError?: string; lastErrorDesc?: string } = {};
  let kind: AppTracking['kind'] = 'msi';
  let status = false;
  for (const c of cmds) {
    const target = c.payload.items?.[0]?.target ?? '';
    const n = trackedNode(target);
    if (!n) return undefined;
    kind = n.kind;
    const value = c.state === 'acked' ? (c.results?.find((r) => r.locUri === target) ?? c.results?.[0])?.data : undefined;
    if (n.node === 'Status') {
      status = true;
      read.status = value;
      if (c.state !== 'acked') read.statusCode = c.status ?? c.error ?? c.state;
    } else if (n.node === 'LastError') read.lastError = value;
    else read.lastErrorDesc = value;
  }
  return status ? appProgress(kind, read) : undefined;
}

export interface SettleInput {
  rows: ProfileDelivery[];
  /** Every command of the batches concerned, as stored before this turn. */
  commands: CommandRecord[];
  acks: Map<string, CommandAck>;
  at: string;
  userPresent: boolean;
}

/** The delivery rows that this turn's answers complete. */
export function settleDeliveries(input: SettleInput): ProfileDelivery[] {
  const byBatch = new Map<string, CommandRecord[]>();
  for (const c of input.commands) {
    if (!c.batch) continue;
    const list = byBatch.get(c.batch) ?? [];
    list.push(applyAck(c, input.acks.get(c.id)));
    byBatch.set(c.batch, list);
  }
  const out: ProfileDelivery[] = [];
  for (const [batch, cmds] of byBatch) {
    const row = input.rows.find((r) => r.batch === batch && (r.status === 'pending' || r.status === 'removing'));
    if (!row || cmds.some((c) => IN_FLIGHT.has(c.state))) continue;
    const done = { ...row, hold: undefined, updatedAt: input.at };
    const progress = row.status === 'pending' ? appPoll(cmds) : undefined;
    if (progress) {
      if (progress.state === 'installed') out.push({ ...done, status: 'verified', appliedVersion: row.version, detail: progress.detail });
      else if (progress.state === 'failed') out.push({ ...done, status: 'failed', appliedVersion: undefined, detail: progress.detail });
      else out.push({ ...done, status: 'delivered', appliedVersion: row.version, detail: `installing: ${progress.detail}` });
      continue;
    }
    const failures: Failure[] = [];
    for (const c of cmds) {
      if (c.profile?.op === 'verify' || c.state === 'acked') continue;
      // Deleting what is already gone is what we wanted.
      if (c.payload.kind === 'Delete' && c.status === '404') continue;
      failures.push(failurePoint(c));
    }
    if (row.status === 'removing') {
      out.push(
        failures.length
          ? { ...done, status: 'failed', detail: `removal failed: ${failures.map(describe).join('; ')}` }
          : { ...done, status: 'removed', appliedVersion: undefined, detail: undefined },
      );
      continue;
    }
    if (failures.length) {
      const refusedUser = failures.every((f) => f.uri?.startsWith('./User/') && NO_USER_CONTEXT.has(f.status));
      if (refusedUser) {
        out.push({
          ...done,
          status: 'held',
          hold: input.userPresent ? 'refused-with-user' : 'refused-no-user',
          detail: `Windows refused the user settings (${describe(failures[0])}): no user context on this enrollment`,
        });
      } else {
        out.push({ ...done, status: 'failed', appliedVersion: undefined, detail: failures.slice(0, 5).map(describe).join('; ') });
      }
      continue;
    }
    // An app install Exec accepted: the device downloads and installs on its own; later sessions read how it went.
    if (cmds.some((c) => c.payload.kind === 'Exec' && startsInstall(c.payload.items?.[0]?.target))) {
      out.push({ ...done, status: 'delivered', appliedVersion: row.version, detail: 'installing' });
      continue;
    }
    const verifies = cmds.filter((c) => c.profile?.op === 'verify');
    const mismatches = verifies.flatMap(readBackMismatches);
    if (mismatches.length) out.push({ ...done, status: 'failed', appliedVersion: row.version, detail: mismatches.slice(0, 5).join('; ') });
    else out.push({ ...done, status: verifies.length ? 'verified' : 'delivered', appliedVersion: row.version, detail: undefined });
  }
  return out;
}
