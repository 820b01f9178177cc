// What the device's answers mean for profile deliveries: once every command of a delivery's
// batch is answered, its row becomes delivered, verified (the read-back matched), failed (with
// the SyncML status and LocURI), held (Windows refused ./User settings: no user context on this
// enrollment — not a failure, tried again when that changes) or removed. Pure.
import { readBackDigest } from '../../protocol/csp/delta.js';
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
    const failures: Failure[] = [];
    for (const c of cmds) {
      if (c.profile?.op === 'verify' || c.state === 'acked') continue;
      // Deleting what is already gone is what we wanted.
      if (c.payload.kind === 'Delete' && c.status === '404') continue;
      failures.push(failurePoint(c));
    }
    const done = { ...row, hold: undefined, updatedAt: input.at };
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
    const verifies = cmds.filter((c) => c.profile?.op === 'verify');
    const mismatches = verifies.flatMap(readBackMismatches);
    if (mismatches.length) out.push({ ...done, status: 'failed', appliedVersion: row.version, detail: mismatches.slice(0, 5).join('; ') });
    else out.push({ ...done, status: verifies.length ? 'verified' : 'delivered', appliedVersion: row.version, detail: undefined });
  }
  return out;
}
