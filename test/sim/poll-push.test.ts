// The simulated device's poll schedule (DMClient Poll nodes) and its WNS channel listener.
import t from 'tap';
import { addProvider, defaultInventory, windowsTree } from '../../src/sim/dm-tree.js';
import { nextPollMinutes, pollSchedule } from '../../src/sim/poll-schedule.js';
import { startPushListener } from '../../src/sim/push-listener.js';

t.test('poll schedule: first set, second set, then the remaining one for ever', async (t) => {
  const tr = windowsTree(defaultInventory('0123456789ABCDEF0123456789ABCDEF'));
  t.equal(pollSchedule(tr, 'fenestra'), undefined, 'no provider: no schedule');
  const poll = {
    IntervalForFirstSetOfRetries: '3',
    NumberOfFirstRetries: '5',
    IntervalForSecondSetOfRetries: '15',
    NumberOfSecondRetries: '8',
    IntervalForRemainingScheduledRetries: '480',
    NumberOfRemainingScheduledRetries: '0',
  };
  addProvider(tr, { providerId: 'fenestra', enrollmentType: 'Device', poll });
  const s = pollSchedule(tr, 'fenestra')!;
  t.same(
    [0, 4, 5, 12, 13, 1000].map((n) => nextPollMinutes(s, n)),
    [3, 3, 15, 15, 480, 480],
  );
  tr.set('./Vendor/MSFT/DMClient/Provider/fenestra/Poll/IntervalForFirstSetOfRetries', { format: 'int', value: '1' });
  tr.set('./Vendor/MSFT/DMClient/Provider/fenestra/Poll/NumberOfFirstRetries', { format: 'int', value: '0' });
  const changed = pollSchedule(tr, 'fenestra')!;
  t.not(changed.signature, s.signature, 'a change is noticed');
  t.equal(nextPollMinutes(changed, 500), 1, 'a first set with count 0 repeats for ever');
  t.equal(nextPollMinutes({ sets: [], signature: '' }, 0), 24 * 60, 'nothing repeating: the 24-hour schedule');
});

t.test('push listener: the WNS contract', async (t) => {
  const woken: string[] = [];
  const l = await startPushListener('127.0.0.1', 0, (id) => (id === 'DEV1' ? (woken.push(id), true) : false));
  t.teardown(() => l.close());
  t.match(l.channelFor('DEV1'), /^http:\/\/127\.0\.0\.1:\d+\/wns\/DEV1$/);
  const ok = { 'x-wns-type': 'wns/raw', authorization: 'Bearer abc' };
  const post = async (p: string, headers: Record<string, string>, body = 'x', method = 'POST') => {
    const r = await fetch(`${l.baseUrl}${p}`, { method, headers, body: method === 'POST' ? body : undefined });
    return { status: r.status, text: await r.text() };
  };
  t.equal((await post('/wns/DEV1', ok)).status, 200);
  t.same(woken, ['DEV1']);
  const noType = await post('/wns/DEV1', { authorization: 'Bearer abc' });
  t.equal(noType.status, 400);
  t.match(noType.text, /X-WNS-Type/);
  t.equal((await post('/wns/DEV1', { ...ok, 'x-wns-type': 'wns/badge' })).status, 400);
  const noAuth = await post('/wns/DEV1', { 'x-wns-type': 'wns/raw', authorization: 'Basic abc' });
  t.equal(noAuth.status, 400);
  t.match(noAuth.text, /Bearer/);
  t.equal((await post('/wns/OTHER', ok)).status, 404, 'unknown device');
  t.equal((await post('/elsewhere', ok)).status, 404, 'not a channel');
  t.equal((await post('/wns/DEV1', ok, '', 'GET')).status, 405);
  t.equal((await post('/wns/DEV1', ok, 'x'.repeat(6000))).status, 413, 'over the 5 KB WNS limit');
  t.same(woken, ['DEV1'], 'none of the refused ones woke the device');
});
