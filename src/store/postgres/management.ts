// PostgreSQL: OMA-DM command queue, session state, traces, alerts and logins.
//
// Replicas: a device holds one session at a time, but its packages may reach any replica, and a
// device that gives up on a session and starts another may have both in flight on two replicas.
// So the writes that claim commands check the state they expect under the row lock:
// - a command is marked sent only if it is still queued/held (or already sent in this same
//   session); if another replica claimed it first, the whole turn is rolled back and the request
//   fails (the device retries later) — a command is never delivered by two sessions;
// - `deliverable` skips rows a concurrent turn holds locked (FOR UPDATE SKIP LOCKED): they are
//   being claimed right now;
// - `requeueUnanswered` is one UPDATE; concurrent ones serialise on the row locks.
import type { CommandStore, ManagementStore, SessionTurn, TraceStore } from '../types.js';
import type { CommandRecord } from '../../domain/command.js';
import type { DmSessionState } from '../../domain/session.js';
import { type Db, type Sql } from './db.js';
import { writeDeliveries } from './deliveries.js';
import { StoreConflictError } from '../errors.js';
import { FLUSH_RETRY_MS, type StoreLog, WriteBehindBuffer, turnWrites } from '../write-behind.js';
import { commandInsertSql, commandInsertValues } from '../statements.js';
import { alertFromRow, commandFromRow, jsonOrNull, loginFromRow, n, opt, traceFromRow } from '../rows.js';

/** Another replica sent (some of) these commands in a concurrent session: the turn is not committed. */
export class CommandClaimConflict extends StoreConflictError {
  constructor(ids: string[]) {
    super(`commands already claimed by a concurrent session: ${ids.join(', ')}`);
    this.name = 'CommandClaimConflict';
  }
}

const COMMAND_INSERT = commandInsertSql('postgres');

async function insertCommand(c: Sql, x: CommandRecord): Promise<void> {
  await c.query(COMMAND_INSERT, commandInsertValues(x));
}

export function postgresManagement(
  db: Db,
  log?: StoreLog,
): {
  management: ManagementStore;
  commands: CommandStore;
  traces: TraceStore;
  /** Write buffered traces and last-seen times now. */
  flush(): Promise<void>;
  /** Stop the timer and write what is buffered. */
  close(): Promise<void>;
} {
  // Write-behind for what is diagnostic or monotonic (traces, last-seen times), as in sqlite/:
  // buffered per process and written in one transaction every FLUSH_MS. A crash loses at most
  // FLUSH_MS of traces. Last-seen only moves forward (replicas flush in any order).
  const FLUSH_MS = 50;
  const buffer = new WriteBehindBuffer<{ devicePk: string; tr: SessionTurn['traces'][number] }>(log, 'PostgreSQL');
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const writeBuffered = async () => {
    if (buffer.empty) return;
    const batch = buffer.take();
    try {
      await writeBatch(batch.traces, batch.seen);
      buffer.written();
    } catch (err) {
      // Kept for the next flush (bounded), tried again in FLUSH_RETRY_MS without new traffic.
      buffer.restore(batch, err);
      flushTimer ??= setTimeout(() => void flush().catch(() => undefined), FLUSH_RETRY_MS);
      throw err;
    }
  };
  const writeBatch = async (traces: typeof buffer.traces, seen: Map<string, string>) => {
    await db.tx(async (c) => {
      if (traces.length) {
        await c.query(
          `INSERT INTO session_traces (device_pk, session_id, msg_id, direction, at, body, truncated)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])`,
          [
            traces.map((x) => x.devicePk),
            traces.map((x) => x.tr.sessionId),
            traces.map((x) => x.tr.msgId),
            traces.map((x) => x.tr.direction),
            traces.map((x) => x.tr.at),
            // PostgreSQL text cannot hold NUL (SQLite can): one such body must not fail the whole batch.
            traces.map((x) => (x.tr.body.includes('\u0000') ? x.tr.body.replaceAll('\u0000', '\uFFFD') : x.tr.body)),
            traces.map((x) => (x.tr.truncated ? 1 : 0)),
          ],
        );
      }
      if (seen.size) {
        // Ordered by id: concurrent flushes of two replicas lock device rows in one order.
        await c.query(
          `UPDATE devices d SET last_seen_at = v.at
           FROM (SELECT * FROM unnest($1::text[], $2::text[]) AS x(pk, at) ORDER BY pk) v
           WHERE d.id = v.pk AND (d.last_seen_at IS NULL OR d.last_seen_at < v.at)`,
          [[...seen.keys()], [...seen.values()]],
        );
      }
    });
  };
  /** Chain flushes: one at a time, and flush() waits for the one in progress. */
  const flush = (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    flushing = flushing.then(writeBuffered, writeBuffered);
    return flushing;
  };
  const scheduleFlush = () => {
    // While flushes fail, only the retry timer tries again (no pile of waiting flushes).
    if (buffer.traces.length >= 1000 && !buffer.health.failing) void flush().catch(() => undefined);
    else flushTimer ??= setTimeout(() => void flush().catch(() => undefined), FLUSH_MS);
  };

  const withResults = async (cmds: CommandRecord[]): Promise<CommandRecord[]> => {
    if (!cmds.length) return cmds;
    const rows = await db.q('SELECT * FROM command_results WHERE command_id = ANY($1) ORDER BY command_id, seq', [cmds.map((x) => x.id)]);
    for (const x of cmds) {
      const mine = rows.filter((r) => r.command_id === x.id);
      if (mine.length) x.results = mine.map((r) => ({ locUri: String(r.loc_uri), format: opt(r.format), type: opt(r.type), data: opt(r.data) }));
    }
    return cmds;
  };

  async function commit(c: Sql, t: SessionTurn): Promise<void> {
    for (const x of t.enqueue) await insertCommand(c, x);
    for (const a of t.acks) {
      if (a.requeueAs) {
        await c.query(`UPDATE commands SET state = 'queued', payload = $1, status = $2, detail = $3, updated_at = $4 WHERE id = $5`, [
          JSON.stringify(a.requeueAs),
          n(a.status),
          jsonOrNull(a.detail),
          t.at,
          a.commandId,
        ]);
        continue;
      }
      await c.query(`UPDATE commands SET state = $1, status = $2, detail = $3, acked_at = $4, error = $5, updated_at = $6 WHERE id = $7`, [
        a.state,
        n(a.status),
        jsonOrNull(a.detail),
        t.at,
        n(a.error),
        t.at,
        a.commandId,
      ]);
      if (a.results?.length) {
        await c.query(
          `INSERT INTO command_results (command_id, seq, loc_uri, format, type, data)
           SELECT $1, s - 1, u, f, ty, d FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(u, f, ty, d, s)
           ON CONFLICT (command_id, seq) DO UPDATE SET loc_uri = excluded.loc_uri, format = excluded.format, type = excluded.type, data = excluded.data`,
          [a.commandId, a.results.map((r) => r.locUri), a.results.map((r) => n(r.format)), a.results.map((r) => n(r.type)), a.results.map((r) => n(r.data))],
        );
      }
    }
    if (t.sent.length) {
      // The claim: only commands nobody else has sent (queued/held), or this session's own.
      const sorted = [...t.sent].sort((x, y) => (x.commandId < y.commandId ? -1 : x.commandId > y.commandId ? 1 : 0));
      const r = await c.query(
        `UPDATE commands c SET state = 'sent', held_reason = NULL, sent_session = $1, sent_msg_id = x.msg, sent_cmd_id = x.cmd,
           sent_at = $2, attempts = c.attempts + 1, updated_at = $2
         FROM unnest($3::text[], $4::text[], $5::text[]) AS x(id, msg, cmd)
         WHERE c.id = x.id AND (c.state IN ('queued', 'held') OR (c.state = 'sent' AND c.sent_session = $1))
         RETURNING c.id`,
        [t.sessionId, t.at, sorted.map((x) => x.commandId), sorted.map((x) => x.msgId), sorted.map((x) => x.cmdId)],
      );
      if ((r.rowCount ?? 0) < new Set(sorted.map((x) => x.commandId)).size) {
        const got = new Set(r.rows.map((x) => String(x.id)));
        throw new CommandClaimConflict(sorted.map((x) => x.commandId).filter((id) => !got.has(id)));
      }
    }
    if (t.session) {
      await c.query(
        `INSERT INTO dm_sessions (device_pk, session_id, state, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_pk, session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [t.devicePk, t.sessionId, JSON.stringify(t.session), t.at],
      );
    } else if (t.session === null && !t.sessionIsNew) {
      await c.query('DELETE FROM dm_sessions WHERE device_pk = $1 AND session_id = $2', [t.devicePk, t.sessionId]);
    }
    if (t.session && t.sessionIsNew && t.sessionsPerDevice !== undefined) {
      // A device cannot pile up session state by starting sessions: its most recent N are kept.
      await c.query(
        `DELETE FROM dm_sessions WHERE device_pk = $1 AND session_id NOT IN (
           SELECT session_id FROM dm_sessions WHERE device_pk = $1 ORDER BY updated_at DESC, session_id DESC LIMIT $2)`,
        [t.devicePk, t.sessionsPerDevice],
      );
    }
    const d = t.device;
    if (d) {
      const sets: string[] = [];
      const params: unknown[] = [t.devicePk];
      const set = (sql: (p: string) => string, v: unknown) => {
        params.push(v);
        sets.push(sql(`$${params.length}`));
      };
      if (d.currentUser !== undefined) {
        set((p) => `current_user_oid = ${p}`, d.currentUser?.oid ?? null);
        set((p) => `current_user_upn = ${p}`, d.currentUser?.upn ?? null);
      }
      if (d.loginStatus !== undefined) set((p) => `login_status = ${p}`, d.loginStatus);
      if (d.nonce !== undefined) set((p) => `dm_nonce = ${p}`, d.nonce);
      if (d.planMark !== undefined) set((p) => `plan_mark = ${p}`, d.planMark);
      if (d.inventory) {
        // Merged in the statement (the row is locked by it): values of this turn over the stored ones.
        set((p) => `inventory = (COALESCE(inventory, '{}')::jsonb || ${p}::jsonb)::text`, JSON.stringify(d.inventory));
        set((p) => `inventory_at = COALESCE(${p}, inventory_at)`, n(d.inventoryAt));
      }
      if (sets.length) await c.query(`UPDATE devices SET ${sets.join(', ')} WHERE id = $1`, params);
    }
    if (t.deliveries?.length) await writeDeliveries(c, t.deliveries);
    for (const x of t.dropDeliveries ?? []) {
      await c.query('DELETE FROM profile_deliveries WHERE device_pk = $1 AND user_key = $2 AND profile_id = $3', [t.devicePk, x.userKey, x.profileId]);
    }
    if (t.login) {
      await c.query(
        `INSERT INTO device_logins (device_pk, user_oid, upn, first_seen, last_seen, sessions) VALUES ($1, $2, $3, $4, $4, 1)
         ON CONFLICT (device_pk, user_oid) DO UPDATE SET upn = COALESCE(excluded.upn, device_logins.upn),
           last_seen = excluded.last_seen, sessions = device_logins.sessions + 1`,
        [t.devicePk, t.login.oid, n(t.login.upn), t.at],
      );
    }
    for (const a of t.alerts) {
      await c.query('INSERT INTO device_alerts (device_pk, at, code, type, format, mark, source, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        t.devicePk,
        t.at,
        a.code,
        n(a.type),
        n(a.format),
        n(a.mark),
        n(a.source),
        n(a.data),
      ]);
    }
    if (t.alerts.length && t.alertsPerDevice !== undefined) {
      // Everything of the device older than its newest N (index device_alerts_device).
      await c.query(
        'DELETE FROM device_alerts WHERE device_pk = $1 AND id <= (SELECT id FROM device_alerts WHERE device_pk = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)',
        [t.devicePk, t.alertsPerDevice],
      );
    }
  }

  return {
    management: {
      async getSession(devicePk, sessionId) {
        const [r] = await db.q('SELECT state FROM dm_sessions WHERE device_pk = $1 AND session_id = $2', [devicePk, sessionId]);
        return r ? (JSON.parse(String(r.state)) as DmSessionState) : undefined;
      },
      async deliverable(devicePk, limit) {
        // Rows locked by a concurrent turn are being claimed by another replica: skip them.
        const rows = await db.q(
          `SELECT * FROM commands WHERE device_pk = $1 AND state IN ('queued', 'held') ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [devicePk, limit],
        );
        return rows.map(commandFromRow);
      },
      async getCommands(ids) {
        if (!ids.length) return [];
        const rows = await db.q('SELECT * FROM commands WHERE id = ANY($1)', [ids]);
        const byId = new Map(rows.map((r) => [String(r.id), r]));
        return ids.flatMap((id) => (byId.has(id) ? [commandFromRow(byId.get(id)!)] : []));
      },
      async requeueUnanswered(devicePk, currentSessionId, at) {
        // Most sessions start with nothing left unanswered: one read, no write transaction.
        const any = await db.q(`SELECT 1 FROM commands WHERE device_pk = $1 AND state = 'sent' AND sent_session IS DISTINCT FROM $2 LIMIT 1`, [
          devicePk,
          currentSessionId,
        ]);
        if (!any.length) return 0;
        return db.tx(async (c) => {
          const r = await c.query(
            `UPDATE commands SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
               error = CASE WHEN attempts >= max_attempts THEN 'no status from the device after ' || attempts || ' deliveries' ELSE error END,
               updated_at = $1
             WHERE device_pk = $2 AND state = 'sent' AND sent_session IS DISTINCT FROM $3`,
            [at, devicePk, currentSessionId],
          );
          const changed = r.rowCount ?? 0;
          if (changed) {
            // A profile command that failed for lack of answers fails its delivery (the reconciler tries again on a new version).
            await c.query(
              `UPDATE profile_deliveries SET status = 'failed', detail = (SELECT error FROM commands c WHERE c.batch = profile_deliveries.batch
                   AND c.state = 'failed' LIMIT 1), applied_version = NULL, hold = NULL, updated_at = $1
               WHERE batch IN (SELECT batch FROM commands WHERE device_pk = $2 AND state = 'failed' AND updated_at = $1 AND batch IS NOT NULL)
                 AND status IN ('pending', 'removing')`,
              [at, devicePk],
            );
          }
          return changed;
        });
      },
      async commitTurn(turn) {
        if (turnWrites(turn)) await db.tx((c) => commit(c, turn));
        if (!turn.unauthenticated) buffer.seen.set(turn.devicePk, turn.at);
        for (const tr of turn.traces) buffer.traces.push({ devicePk: turn.devicePk, tr });
        scheduleFlush();
      },
      async unenroll(devicePk, at, reason) {
        await db.tx(async (c) => {
          await c.query(`UPDATE devices SET state = 'unenrolled', unenrolled_at = $1, updated_at = $1 WHERE id = $2`, [at, devicePk]);
          await c.query(`UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = $2 WHERE device_pk = $3 AND status = 'active'`, [
            at,
            reason,
            devicePk,
          ]);
          await c.query(
            `UPDATE commands SET state = 'cancelled', error = 'device unenrolled', updated_at = $1 WHERE device_pk = $2 AND state IN ('queued', 'held', 'sent')`,
            [at, devicePk],
          );
          await c.query('DELETE FROM dm_sessions WHERE device_pk = $1', [devicePk]);
          await c.query(
            `INSERT INTO audit_log (at, actor, action, target_type, target_id, detail)
             SELECT $1, 'device:' || device_id, 'device.unenroll', 'device', id, $2 FROM devices WHERE id = $3`,
            [at, JSON.stringify({ reason }), devicePk],
          );
        });
      },
      async setCommandState(ids, state, heldReason, at) {
        if (!ids.length) return;
        await db.run(`UPDATE commands SET state = $1, held_reason = $2, updated_at = $3 WHERE id = ANY($4)`, [state, n(heldReason), at, ids]);
      },
      async pruneSessions(before) {
        return db.runLong('DELETE FROM dm_sessions WHERE updated_at < $1', [before]);
      },
      async batchCommands(batches) {
        if (!batches.length) return [];
        const rows = await db.q('SELECT * FROM commands WHERE batch = ANY($1) ORDER BY array_position($1, batch), created_at, id', [batches]);
        return rows.map(commandFromRow);
      },
    },
    commands: {
      async enqueue(x) {
        await insertCommand(db.pool, x);
      },
      async get(id) {
        const [r] = await db.q('SELECT * FROM commands WHERE id = $1', [id]);
        return r ? (await withResults([commandFromRow(r)]))[0] : undefined;
      },
      async listForDevice(devicePk, { limit, offset }) {
        const rows = await db.q('SELECT * FROM commands WHERE device_pk = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3', [devicePk, limit, offset]);
        return withResults(rows.map(commandFromRow));
      },
      async cancel(id, at) {
        return (await db.run(`UPDATE commands SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state IN ('queued', 'held')`, [at, id])) > 0;
      },
      async countQueued(devicePk) {
        return Number((await db.q(`SELECT COUNT(*) AS n FROM commands WHERE device_pk = $1 AND state IN ('queued', 'held', 'sent')`, [devicePk]))[0].n);
      },
      async stateCounts() {
        const out: Record<string, number> = { queued: 0, held: 0, sent: 0 };
        for (const r of await db.q(`SELECT state, COUNT(*) AS n FROM commands WHERE state IN ('queued', 'held', 'sent') GROUP BY state`, []))
          out[String(r.state)] = Number(r.n);
        return out;
      },
    },
    traces: {
      // Newest first by the time of the turn, then by id: replicas flush their buffers in any
      // order, so ids alone need not follow a session's messages (in SQLite they do).
      async list(devicePk, { limit, sessionId }) {
        await flush();
        const rows = sessionId
          ? await db.q('SELECT * FROM session_traces WHERE device_pk = $1 AND session_id = $2 ORDER BY at DESC, id DESC LIMIT $3', [devicePk, sessionId, limit])
          : await db.q('SELECT * FROM session_traces WHERE device_pk = $1 ORDER BY at DESC, id DESC LIMIT $2', [devicePk, limit]);
        return rows.map(traceFromRow);
      },
      async alerts(devicePk, limit) {
        const rows = await db.q('SELECT * FROM device_alerts WHERE device_pk = $1 ORDER BY id DESC LIMIT $2', [devicePk, limit]);
        return rows.map(alertFromRow);
      },
      async logins(devicePk) {
        const rows = await db.q('SELECT * FROM device_logins WHERE device_pk = $1 ORDER BY last_seen DESC', [devicePk]);
        return rows.map(loginFromRow);
      },
      async prune(before, keepPerDevice) {
        await flush();
        const age = await db.runLong('DELETE FROM session_traces WHERE at < $1', [before]);
        const count = await db.runLong(
          `DELETE FROM session_traces WHERE id IN (
             SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY device_pk ORDER BY at DESC, id DESC) AS rn FROM session_traces) ranked
             WHERE rn > $1)`,
          [keepPerDevice],
        );
        return age + count;
      },
      async pruneAlerts(before, keepPerDevice) {
        const age = await db.runLong('DELETE FROM device_alerts WHERE at < $1', [before]);
        const count = await db.runLong(
          `DELETE FROM device_alerts WHERE id IN (
             SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY device_pk ORDER BY id DESC) AS rn FROM device_alerts) ranked
             WHERE rn > $1)`,
          [keepPerDevice],
        );
        return age + count;
      },
    },
    flush,
    async close() {
      await flush().catch(() => undefined);
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
    },
  };
}
