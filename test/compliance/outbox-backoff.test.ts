// The outbox's back-off (service/compliance/outbox.ts retryDelay) and its worker on a fixed clock:
// exponential from the base, capped, with jitter; Retry-After taken as given (within the cap); a
// failing report is due again after its delay, never before; an unexpected error in the reporter
// is a retry, not a lost report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { ComplianceOutbox, retryDelay } from '../../src/service/compliance/outbox.js';
import type { ReportOutcome } from '../../src/service/compliance/reporter.js';
import { openStore } from '../../src/store/open.js';

const S = { backoffBaseMs: 10_000, backoffCapMs: 3_600_000 };

t.test('retryDelay: doubling from the base with jitter, capped; Retry-After honoured up to the cap', async (t) => {
  t.equal(retryDelay(S, 1, undefined, 0), 5_000, 'first failure: half of the base at least');
  t.equal(retryDelay(S, 1, undefined, 1), 10_000, 'and the base at most');
  t.equal(retryDelay(S, 2, undefined, 0.5), 15_000);
  t.equal(retryDelay(S, 4, undefined, 1), 80_000);
  t.equal(retryDelay(S, 40, undefined, 1), 3_600_000, 'capped at an hour');
  t.equal(retryDelay(S, 40, undefined, 0), 1_800_000);
  t.equal(retryDelay(S, 3, 7_000, 0.9), 7_000, 'Retry-After as given');
  t.equal(retryDelay(S, 3, 0, 0.9), 0);
  t.equal(retryDelay(S, 3, 86_400_000, 0.9), 3_600_000, 'a Retry-After beyond the cap waits the cap');
});

t.test('the worker on a fixed clock: tried again only when due, with growing delays', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-backoff-'));
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let now = Date.parse('2026-03-01T10:00:00.000Z');
  const outcomes: ReportOutcome[] = [
    { kind: 'retry', error: 'Microsoft Graph answered 500' },
    { kind: 'retry', error: 'no answer from graph.microsoft.com: ECONNRESET' },
  ];
  let calls = 0;
  const w = new ComplianceOutbox({
    store,
    log: pino({ level: 'silent' }),
    now: () => new Date(now),
    random: () => 1,
    settings: { pollMs: 3_600_000, backoffBaseMs: 1000, backoffCapMs: 60_000 },
    reporter: {
      async report() {
        calls++;
        if (calls === 3) throw new Error('unexpected');
        return outcomes.shift() ?? { kind: 'sent' };
      },
    },
  });
  // Kicked by hand: started, its first round finds nothing.
  w.start();
  t.teardown(() => w.stop());
  const id = await store.complianceOutbox.enqueue(
    { devicePk: 'd', tenantId: 't', entraDeviceId: 'e', isCompliant: true, isManaged: true },
    new Date(now).toISOString(),
  );
  await w.kick();
  t.equal(calls, 1);
  t.match(await store.complianceOutbox.latestFor('d'), { state: 'pending', attempts: 1, nextAt: new Date(now + 1000).toISOString(), lastError: /500/ });
  now += 999;
  await w.kick();
  t.equal(calls, 1, 'not before its time');
  now += 1;
  await w.kick();
  t.equal(calls, 2);
  t.match(await store.complianceOutbox.latestFor('d'), { attempts: 2, nextAt: new Date(now + 2000).toISOString(), lastError: /ECONNRESET/ });
  now += 2000;
  await w.kick();
  t.equal(calls, 3);
  t.match(await store.complianceOutbox.latestFor('d'), { state: 'pending', attempts: 3, nextAt: new Date(now + 4000).toISOString(), lastError: 'unexpected' });
  now += 4000;
  await w.kick();
  t.equal(calls, 4);
  t.match(await store.complianceOutbox.latestFor('d'), { id, state: 'sent', attempts: 4, sentAt: new Date(now).toISOString() });
});
