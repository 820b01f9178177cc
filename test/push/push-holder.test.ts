// The push holder in process (fake clock, in-memory settings row): another process's change is
// picked up once the settings it read are older than the TTL (replicas), a change here at once
// (reload), the environment wins, unreadable settings turn push off, a replaced service's pushes
// are still waited for. And the settings rules that need a production server (https only).
import crypto from 'node:crypto';
import pino from 'pino';
import t from 'tap';
import { PushHolder, RELOAD_MS } from '../../src/service/push/holder.js';
import type { PushService, PushSettings } from '../../src/service/push/service.js';
import { checkPushSettings } from '../../src/service/push/settings.js';
import { ApiError } from '../../src/service/errors.js';
import type { Store } from '../../src/store/types.js';

const key = crypto.randomBytes(32);
const input = { pfn: 'Fenestra.Mdm_8wekyb3d8bbwe', clientId: 'ms-app://s-1-15-2-1', clientSecret: 's3cret', tokenUrl: 'https://login.example/token' };

function setup(opts: { env?: PushSettings } = {}) {
  let row: { value: string; updatedAt: string } | undefined;
  let reads = 0;
  let failing = false;
  const store = {
    push: {
      settings: async () => {
        reads++;
        if (failing) throw new Error('db down');
        return row;
      },
    },
  } as unknown as Store;
  let clock = 0;
  const built: { settings: PushSettings; svc: PushService; release?: () => void }[] = [];
  const holder = new PushHolder({
    store,
    env: opts.env,
    providerId: 'fenestra',
    settingsKey: key,
    log: pino({ level: 'silent' }),
    now: () => clock,
    build(settings) {
      const entry: (typeof built)[number] = { settings, svc: undefined as unknown as PushService };
      let busy = 0;
      let done: Promise<void> = Promise.resolve();
      entry.svc = {
        get busy() {
          return busy;
        },
        idle: () => done,
        cancel: () => entry.release?.(),
        /** A push in flight until release(). */
        startPush() {
          busy++;
          done = new Promise<void>((r) => (entry.release = () => (busy--, r())));
        },
      } as unknown as PushService;
      built.push(entry);
      return entry.svc;
    },
  });
  return {
    holder,
    built,
    reads: () => reads,
    store: (v: typeof input | undefined, at: string) =>
      (row = v && { value: JSON.stringify(checkPushSettings(v, { production: true, sealKey: key })), updatedAt: at }),
    advance: (ms: number) => (clock += ms),
    fail: (f: boolean) => (failing = f),
    raw: (value: string) => (row = { value, updatedAt: 'x' }),
  };
}

t.test('another process changed the settings: followed once the TTL has passed, not before', async (t) => {
  const x = setup();
  t.equal(await x.holder.current(), undefined);
  t.equal(x.holder.source, 'none');
  x.store(input, '2026-01-01T00:00:00Z');
  x.advance(RELOAD_MS - 1);
  t.equal(await x.holder.current(), undefined, 'within the TTL: what it read');
  t.equal(x.reads(), 1, 'one read per TTL');
  x.advance(1);
  const svc = await x.holder.current();
  t.ok(svc, 'after the TTL: on');
  t.equal(x.holder.source, 'api');
  t.match(x.built[0].settings, { pfn: input.pfn, clientSecret: 's3cret', providerId: 'fenestra', channelHosts: ['.notify.windows.com'] });
  x.advance(RELOAD_MS);
  t.equal(await x.holder.current(), svc, 'unchanged settings: the same service (its token cache kept)');
  t.equal(x.built.length, 1);

  x.store(undefined, '');
  x.advance(RELOAD_MS);
  t.equal(await x.holder.current(), undefined, 'removed elsewhere: off');
  t.same(await x.holder.health('d'), { configured: false });
  t.same(await x.holder.plan('d', '2026-01-01T00:00:00Z', []), []);
});

t.test('a change in this process: reload reads at once', async (t) => {
  const x = setup();
  t.equal(await x.holder.current(), undefined);
  x.store(input, 'a');
  await x.holder.reload();
  t.ok(await x.holder.current(), 'on without waiting for the TTL');
  x.store({ ...input, pfn: 'Other.App_8wekyb3d8bbwe' }, 'b');
  await x.holder.reload();
  t.equal(x.built.at(-1)?.settings.pfn, 'Other.App_8wekyb3d8bbwe');
});

t.test('store down: the settings in force are kept; unreadable settings: push off', async (t) => {
  const x = setup();
  x.store(input, 'a');
  const svc = await x.holder.current();
  x.fail(true);
  x.advance(RELOAD_MS);
  t.equal(await x.holder.current(), svc, 'kept while the store is down');
  x.fail(false);
  x.raw(JSON.stringify({ pfn: 'P', clientId: 'c', sealedSecret: 'v1.garbage', tokenUrl: 'https://x' }));
  x.advance(RELOAD_MS);
  t.equal(await x.holder.current(), undefined, 'a secret that cannot be opened: off');
});

t.test('environment: fixed, the store never read', async (t) => {
  const env: PushSettings = {
    pfn: 'E_1',
    clientId: 'c',
    clientSecret: 's',
    tokenUrl: 'https://x',
    channelHosts: ['.notify.windows.com'],
    providerId: 'fenestra',
  };
  const x = setup({ env });
  x.store(input, 'a');
  x.advance(RELOAD_MS * 10);
  const svc = await x.holder.current();
  await x.holder.reload();
  t.equal(await x.holder.current(), svc);
  t.equal(x.holder.source, 'env');
  t.equal(x.reads(), 0);
  t.equal(x.built[0].settings.pfn, 'E_1');
});

t.test('idle: waits for a replaced service too, bounded; past the bound pushes are cancelled', async (t) => {
  const x = setup();
  x.store(input, 'a');
  await x.holder.current();
  (x.built[0].svc as unknown as { startPush(): void }).startPush();
  x.store({ ...input, clientSecret: 'new' }, 'b');
  await x.holder.reload();
  t.equal(x.built.length, 2, 'replaced');
  let settled = false;
  const idle = x.holder.idle(5000).then((v) => ((settled = true), v));
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'the old service still has a push in flight');
  x.built[0].release!();
  t.equal(await idle, true);

  (x.built[1].svc as unknown as { startPush(): void }).startPush();
  t.equal(await x.holder.idle(20), false, 'bounded; the push was cancelled');
  t.equal(x.built[1].svc.busy, 0);
});

t.test('settings rules: https only in production; defaults; secret kept when left out', async (t) => {
  const refused = (f: () => unknown, pointer: string) => {
    try {
      f();
      t.fail(`accepted, expected a refusal on ${pointer}`);
    } catch (err) {
      t.ok(err instanceof ApiError);
      t.equal((err as ApiError).pointer, pointer);
    }
  };
  refused(() => checkPushSettings({ ...input, tokenUrl: 'http://127.0.0.1:9/t' }, { production: true, sealKey: key }), '/tokenUrl');
  t.equal(checkPushSettings({ ...input, tokenUrl: 'http://127.0.0.1:9/t' }, { production: false, sealKey: key }).tokenUrl, 'http://127.0.0.1:9/t');
  const d = checkPushSettings({ pfn: input.pfn, clientId: input.clientId, clientSecret: 'x' }, { production: true, sealKey: key });
  t.match(d, { tokenUrl: 'https://login.live.com/accesstoken.srf', channelHosts: ['.notify.windows.com'] });
  const kept = checkPushSettings({ pfn: input.pfn, clientId: input.clientId }, { production: true, sealKey: key, stored: d });
  t.equal(kept.sealedSecret, d.sealedSecret);
  t.equal(kept.secretFingerprint, d.secretFingerprint);
  refused(
    () => checkPushSettings({ ...input, channelHosts: Array.from({ length: 21 }, (_, i) => `h${i}.example`) }, { production: true, sealKey: key }),
    '/channelHosts',
  );
});
