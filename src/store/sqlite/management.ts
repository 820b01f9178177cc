// SQLite: OMA-DM command queue, session state, traces, alerts and logins.
import type Database from 'better-sqlite3';
import type { CommandStore, ManagementStore, SessionTurn, TraceStore } from '../types.js';
import type { CommandRecord } from '../../domain/command.js';
import type { DmSessionState } from '../../domain/session.js';
import { alertFromRow, commandFromRow, json, loginFromRow, opt, traceFromRow, type Row } from '../rows.js';
import { deliveryWriter } from './deliveries.js';
import { commandInsertSql, commandInsertValues } from '../statements.js';
import { FLUSH_RETRY_MS, type StoreLog, WriteBehindBuffer, type WriteBehindHealth, turnWrites } from '../write-behind.js';

export function sqliteManagement(
  db: Database.Database,
  log?: StoreLog,
): {
  management: ManagementStore;
  commands: CommandStore;
  traces: TraceStore;
  /** Write buffered traces and last-seen times now (reads and close call it); a failure is kept in writeBehind, not thrown. */
  flush(): void;
  /** Whether the last flush failed (the buffer is kept and retried). */
  writeBehind: WriteBehindHealth;
} {
  const s = {
    sessionGet: db.prepare('SELECT state FROM dm_sessions WHERE device_pk = ? AND session_id = ?'),
    sessionPut: db.prepare(
      `INSERT INTO dm_sessions (device_pk, session_id, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_pk, session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ),
    sessionDel: db.prepare('DELETE FROM dm_sessions WHERE device_pk = ? AND session_id = ?'),
    sessionTrim: db.prepare(
      'DELETE FROM dm_sessions WHERE device_pk = ? AND session_id NOT IN (SELECT session_id FROM dm_sessions WHERE device_pk = ? ORDER BY updated_at DESC, session_id DESC LIMIT ?)',
    ),
    deliverable: db.prepare(`SELECT * FROM commands WHERE device_pk = ? AND state IN ('queued', 'held') ORDER BY created_at, id LIMIT ?`),
    deliverableAny: db.prepare(`SELECT id FROM commands WHERE device_pk = ? AND state IN ('queued', 'held') ORDER BY created_at, id LIMIT 1`).pluck(),
    anySent: db.prepare(`SELECT 1 FROM commands WHERE device_pk = ? AND state = 'sent' LIMIT 1`).pluck(),
    cmdGet: db.prepare('SELECT * FROM commands WHERE id = ?'),
    cmdList: db.prepare('SELECT * FROM commands WHERE device_pk = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?'),
    cmdIns: db.prepare(commandInsertSql('sqlite')),
    cmdCancel: db.prepare(`UPDATE commands SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('queued', 'held')`),
    cmdStateCounts: db.prepare(`SELECT state, COUNT(*) AS n FROM commands WHERE state IN ('queued', 'held', 'sent') GROUP BY state`),
    cmdCountQueued: db.prepare(`SELECT COUNT(*) AS n FROM commands WHERE device_pk = ? AND state IN ('queued', 'held', 'sent')`),
    cmdSent: db.prepare(
      `UPDATE commands SET state = 'sent', held_reason = NULL, sent_session = ?, sent_msg_id = ?, sent_cmd_id = ?, sent_at = ?,
         attempts = attempts + 1, updated_at = ? WHERE id = ?`,
    ),
    cmdAck: db.prepare(`UPDATE commands SET state = ?, status = ?, detail = ?, acked_at = ?, error = ?, updated_at = ? WHERE id = ?`),
    cmdRequeueAs: db.prepare(`UPDATE commands SET state = 'queued', payload = ?, status = ?, detail = ?, updated_at = ? WHERE id = ?`),
    cmdState: db.prepare(`UPDATE commands SET state = ?, held_reason = ?, updated_at = ? WHERE id = ?`),
    requeue: db.prepare(
      `UPDATE commands SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         error = CASE WHEN attempts >= max_attempts THEN 'no status from the device after ' || attempts || ' deliveries' ELSE error END,
         updated_at = ?
       WHERE device_pk = ? AND state = 'sent' AND sent_session IS NOT ?`,
    ),
    // A profile command that failed for lack of answers fails its delivery (the reconciler tries again on a new version).
    requeueFailedDeliveries: db.prepare(
      `UPDATE profile_deliveries SET status = 'failed', detail = (SELECT error FROM commands c WHERE c.batch = profile_deliveries.batch
           AND c.state = 'failed' LIMIT 1), applied_version = NULL, hold = NULL, updated_at = ?
       WHERE batch IN (SELECT batch FROM commands WHERE device_pk = ? AND state = 'failed' AND updated_at = ? AND batch IS NOT NULL)
         AND status IN ('pending', 'removing')`,
    ),
    batchCmds: db.prepare('SELECT * FROM commands WHERE batch = ? ORDER BY created_at, id'),
    devPlanMark: db.prepare('UPDATE devices SET plan_mark = ? WHERE id = ?'),
    deliveryDrop: db.prepare('DELETE FROM profile_deliveries WHERE device_pk = ? AND user_key = ? AND profile_id = ?'),
    resultIns: db.prepare('INSERT OR REPLACE INTO command_results (command_id, seq, loc_uri, format, type, data) VALUES (?, ?, ?, ?, ?, ?)'),
    resultsFor: db.prepare('SELECT * FROM command_results WHERE command_id = ? ORDER BY seq'),
    devSeen: db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?'),
    devUser: db.prepare('UPDATE devices SET current_user_oid = ?, current_user_upn = ? WHERE id = ?'),
    devLogin: db.prepare('UPDATE devices SET login_status = ? WHERE id = ?'),
    devInventory: db.prepare('UPDATE devices SET inventory = ?, inventory_at = COALESCE(?, inventory_at) WHERE id = ?'),
    devInventoryGet: db.prepare('SELECT inventory FROM devices WHERE id = ?'),
    devNonce: db.prepare('UPDATE devices SET dm_nonce = ? WHERE id = ?'),
    loginUpsert: db.prepare(
      `INSERT INTO device_logins (device_pk, user_oid, upn, first_seen, last_seen, sessions) VALUES (?, ?, ?, ?, ?, 1)
       ON CONFLICT (device_pk, user_oid) DO UPDATE SET upn = COALESCE(excluded.upn, upn), last_seen = excluded.last_seen, sessions = sessions + 1`,
    ),
    alertIns: db.prepare('INSERT INTO device_alerts (device_pk, at, code, type, format, mark, source, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    traceIns: db.prepare('INSERT INTO session_traces (device_pk, session_id, msg_id, direction, at, body, truncated) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    traceList: db.prepare('SELECT * FROM session_traces WHERE device_pk = ? ORDER BY id DESC LIMIT ?'),
    traceListSession: db.prepare('SELECT * FROM session_traces WHERE device_pk = ? AND session_id = ? ORDER BY id DESC LIMIT ?'),
    tracePruneAge: db.prepare('DELETE FROM session_traces WHERE at < ?'),
    tracePruneCount: db.prepare(
      `DELETE FROM session_traces WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY device_pk ORDER BY id DESC) AS rn FROM session_traces) WHERE rn > ?)`,
    ),
    alertList: db.prepare('SELECT * FROM device_alerts WHERE device_pk = ? ORDER BY id DESC LIMIT ?'),
    // Everything of one device older than its newest N (index device_alerts_device).
    alertTrim: db.prepare(
      'DELETE FROM device_alerts WHERE device_pk = ? AND id <= (SELECT id FROM device_alerts WHERE device_pk = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
    ),
    alertPruneAge: db.prepare('DELETE FROM device_alerts WHERE at < ?'),
    alertPruneCount: db.prepare(
      `DELETE FROM device_alerts WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY device_pk ORDER BY id DESC) AS rn FROM device_alerts) WHERE rn > ?)`,
    ),
    loginList: db.prepare('SELECT * FROM device_logins WHERE device_pk = ? ORDER BY last_seen DESC'),
    unenrollDev: db.prepare(`UPDATE devices SET state = 'unenrolled', unenrolled_at = ?, updated_at = ? WHERE id = ?`),
    unenrollCerts: db.prepare(`UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE device_pk = ? AND status = 'active'`),
    unenrollCmds: db.prepare(
      `UPDATE commands SET state = 'cancelled', error = 'device unenrolled', updated_at = ? WHERE device_pk = ? AND state IN ('queued', 'held', 'sent')`,
    ),
    unenrollSessions: db.prepare('DELETE FROM dm_sessions WHERE device_pk = ?'),
    unenrollAudit: db.prepare(
      `INSERT INTO audit_log (at, actor, action, target_type, target_id, detail)
       SELECT ?, 'device:' || device_id, 'device.unenroll', 'device', id, ? FROM devices WHERE id = ?`,
    ),
    sessionsPrune: db.prepare('DELETE FROM dm_sessions WHERE updated_at < ?'),
  };

  // Write-behind for what is diagnostic or monotonic (traces, last-seen times): buffered and
  // written in one transaction every FLUSH_MS, so a busy server writes each database page once
  // per flush instead of once per session. A crash loses at most FLUSH_MS of traces.
  const FLUSH_MS = 50;
  // A failed flush (disk full, I/O error) keeps its batch for the next one, bounded, and is
  // tried again in FLUSH_RETRY_MS; the failure shows in writeBehind (readiness).
  const buffer = new WriteBehindBuffer<{ devicePk: string; tr: SessionTurn['traces'][number] }>(log, 'SQLite');
  let flushTimer: NodeJS.Timeout | undefined;
  const writeBatch = db.transaction((batch: ReturnType<typeof buffer.take>) => {
    for (const { devicePk, tr } of batch.traces) {
      s.traceIns.run(devicePk, tr.sessionId, tr.msgId, tr.direction, tr.at, tr.body, tr.truncated ? 1 : 0);
    }
    for (const [pk, at] of batch.seen) s.devSeen.run(at, pk);
  }).immediate;
  const flush = () => {
    flushTimer = undefined;
    if (!db.open || buffer.empty) return;
    const batch = buffer.take();
    try {
      writeBatch(batch);
      buffer.written();
    } catch (err) {
      buffer.restore(batch, err);
      flushTimer ??= setTimeout(flush, FLUSH_RETRY_MS);
    }
  };
  const scheduleFlush = () => {
    if (buffer.traces.length >= 1000 && !buffer.health.failing) flush();
    else flushTimer ??= setTimeout(flush, FLUSH_MS);
  };

  const commit = db.transaction((t: SessionTurn) => {
    for (const c of t.enqueue) insertCommand(c);
    for (const a of t.acks) {
      if (a.requeueAs) {
        s.cmdRequeueAs.run(JSON.stringify(a.requeueAs), a.status ?? null, a.detail ? JSON.stringify(a.detail) : null, t.at, a.commandId);
        continue;
      }
      s.cmdAck.run(a.state, a.status ?? null, a.detail ? JSON.stringify(a.detail) : null, t.at, a.error ?? null, t.at, a.commandId);
      a.results?.forEach((r, i) => s.resultIns.run(a.commandId, i, r.locUri, r.format ?? null, r.type ?? null, r.data ?? null));
    }
    for (const x of t.sent) s.cmdSent.run(t.sessionId, x.msgId, x.cmdId, t.at, t.at, x.commandId);
    if (t.session) s.sessionPut.run(t.devicePk, t.sessionId, JSON.stringify(t.session), t.at);
    else if (t.session === null && !t.sessionIsNew) s.sessionDel.run(t.devicePk, t.sessionId);
    // A device cannot pile up session state by starting sessions: its most recent N are kept.
    if (t.session && t.sessionIsNew && t.sessionsPerDevice !== undefined) s.sessionTrim.run(t.devicePk, t.devicePk, t.sessionsPerDevice);
    if (t.device) {
      if (t.device.currentUser !== undefined) s.devUser.run(t.device.currentUser?.oid ?? null, t.device.currentUser?.upn ?? null, t.devicePk);
      if (t.device.loginStatus !== undefined) s.devLogin.run(t.device.loginStatus, t.devicePk);
      if (t.device.nonce !== undefined) s.devNonce.run(t.device.nonce, t.devicePk);
      if (t.device.planMark !== undefined) s.devPlanMark.run(t.device.planMark, t.devicePk);
      if (t.device.inventory) {
        const cur = json<Record<string, string>>((s.devInventoryGet.get(t.devicePk) as Row | undefined)?.inventory) ?? {};
        s.devInventory.run(JSON.stringify({ ...cur, ...t.device.inventory }), t.device.inventoryAt ?? null, t.devicePk);
      }
    }
    for (const d of t.deliveries ?? []) putDelivery(d);
    for (const d of t.dropDeliveries ?? []) s.deliveryDrop.run(t.devicePk, d.userKey, d.profileId);
    if (t.login) s.loginUpsert.run(t.devicePk, t.login.oid, t.login.upn ?? null, t.at, t.at);
    for (const a of t.alerts) {
      s.alertIns.run(t.devicePk, t.at, a.code, a.type ?? null, a.format ?? null, a.mark ?? null, a.source ?? null, a.data ?? null);
    }
    if (t.alerts.length && t.alertsPerDevice !== undefined) s.alertTrim.run(t.devicePk, t.devicePk, t.alertsPerDevice);
  }).immediate;

  function insertCommand(c: CommandRecord): void {
    s.cmdIns.run(commandInsertValues(c));
  }

  const withResults = (c: CommandRecord): CommandRecord => {
    const rows = s.resultsFor.all(c.id) as Row[];
    if (rows.length) {
      c.results = rows.map((r) => ({ locUri: String(r.loc_uri), format: opt(r.format), type: opt(r.type), data: opt(r.data) }));
    }
    return c;
  };

  const unenroll = db.transaction((devicePk: string, at: string, reason: string) => {
    s.unenrollDev.run(at, at, devicePk);
    s.unenrollCerts.run(at, reason, devicePk);
    s.unenrollCmds.run(at, devicePk);
    s.unenrollSessions.run(devicePk);
    s.unenrollAudit.run(at, JSON.stringify({ reason }), devicePk);
  }).immediate;
  const putDelivery = deliveryWriter(db);
  const requeue = db.transaction((devicePk: string, currentSessionId: string | null, at: string) => {
    const n = s.requeue.run(at, devicePk, currentSessionId).changes;
    if (n) s.requeueFailedDeliveries.run(at, devicePk, at);
    return n;
  }).immediate;
  const setStates = db.transaction((ids: string[], state: string, held: string | undefined, at: string) => {
    for (const id of ids) s.cmdState.run(state, held ?? null, at, id);
  }).immediate;

  return {
    management: {
      async getSession(devicePk, sessionId) {
        const r = s.sessionGet.get(devicePk, sessionId) as Row | undefined;
        return r ? (JSON.parse(String(r.state)) as DmSessionState) : undefined;
      },
      async deliverable(devicePk, limit) {
        // Most check-ins find nothing: ask for ids first (a third of the cost of SELECT * here).
        if (!s.deliverableAny.get(devicePk)) return [];
        return (s.deliverable.all(devicePk, limit) as Row[]).map(commandFromRow);
      },
      async getCommands(ids) {
        return ids
          .map((id) => s.cmdGet.get(id) as Row | undefined)
          .filter((r): r is Row => !!r)
          .map(commandFromRow);
      },
      async requeueUnanswered(devicePk, currentSessionId, at) {
        if (!s.anySent.get(devicePk)) return 0;
        return requeue(devicePk, currentSessionId, at);
      },
      async commitTurn(turn) {
        if (turnWrites(turn)) commit(turn);
        if (!turn.unauthenticated) buffer.seen.set(turn.devicePk, turn.at);
        for (const tr of turn.traces) buffer.traces.push({ devicePk: turn.devicePk, tr });
        scheduleFlush();
      },
      async unenroll(devicePk, at, reason) {
        unenroll(devicePk, at, reason);
      },
      async setCommandState(ids, state, heldReason, at) {
        setStates(ids, state, heldReason, at);
      },
      async pruneSessions(before) {
        return s.sessionsPrune.run(before).changes;
      },
      async batchCommands(batches) {
        return batches.flatMap((b) => (s.batchCmds.all(b) as Row[]).map(commandFromRow));
      },
    },
    commands: {
      async enqueue(c) {
        insertCommand(c);
      },
      async get(id) {
        const r = s.cmdGet.get(id) as Row | undefined;
        return r ? withResults(commandFromRow(r)) : undefined;
      },
      async listForDevice(devicePk, { limit, offset }) {
        return (s.cmdList.all(devicePk, limit, offset) as Row[]).map((r) => withResults(commandFromRow(r)));
      },
      async cancel(id, at) {
        return s.cmdCancel.run(at, id).changes > 0;
      },
      async countQueued(devicePk) {
        return Number((s.cmdCountQueued.get(devicePk) as Row).n);
      },
      async stateCounts() {
        const out: Record<string, number> = { queued: 0, held: 0, sent: 0 };
        for (const r of s.cmdStateCounts.all() as Row[]) out[String(r.state)] = Number(r.n);
        return out;
      },
    },
    flush() {
      if (flushTimer) clearTimeout(flushTimer);
      flush();
    },
    writeBehind: buffer.health,
    traces: {
      async list(devicePk, { limit, sessionId }) {
        flush();
        const rows = (sessionId ? s.traceListSession.all(devicePk, sessionId, limit) : s.traceList.all(devicePk, limit)) as Row[];
        return rows.map(traceFromRow);
      },
      async alerts(devicePk, limit) {
        flush();
        return (s.alertList.all(devicePk, limit) as Row[]).map(alertFromRow);
      },
      async pruneAlerts(before, keepPerDevice) {
        return s.alertPruneAge.run(before).changes + s.alertPruneCount.run(keepPerDevice).changes;
      },
      async logins(devicePk) {
        return (s.loginList.all(devicePk) as Row[]).map(loginFromRow);
      },
      async prune(before, keepPerDevice) {
        flush();
        return s.tracePruneAge.run(before).changes + s.tracePruneCount.run(keepPerDevice).changes;
      },
    },
  };
}
