// push_channels rows for both backends: the same upsert text (placeholders differ) and mapping.
import type { PushChannelRecord, PushChannelState } from '../domain/push.js';
import { n, opt, type Row } from './rows.js';

/** The settings row holding the push settings an admin stored (PushStore.settings). */
export const PUSH_SETTINGS_KEY = 'push';

const COLUMNS = [
  'device_pk',
  'pfn',
  'sealed_channel',
  'channel_host',
  'device_status',
  'channel_state',
  'reported_at',
  'expires_at',
  'last_push_at',
  'last_result',
  'failures',
  'backoff_until',
  'updated_at',
];

export function pushUpsertSql(kind: 'sqlite' | 'postgres'): string {
  const ph = COLUMNS.map((_, i) => (kind === 'sqlite' ? '?' : `$${i + 1}`)).join(', ');
  const set = COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return `INSERT INTO push_channels (${COLUMNS.join(', ')}) VALUES (${ph}) ON CONFLICT (device_pk) DO UPDATE SET ${set}`;
}

export const pushValues = (r: PushChannelRecord) => [
  r.devicePk,
  n(r.pfn),
  n(r.sealedChannel),
  n(r.channelHost),
  n(r.deviceStatus),
  r.channelState,
  n(r.reportedAt),
  n(r.expiresAt),
  n(r.lastPushAt),
  n(r.lastResult),
  r.failures,
  n(r.backoffUntil),
  r.updatedAt,
];

export const pushFromRow = (r: Row): PushChannelRecord => ({
  devicePk: String(r.device_pk),
  pfn: opt(r.pfn),
  sealedChannel: opt(r.sealed_channel),
  channelHost: opt(r.channel_host),
  deviceStatus: r.device_status === null || r.device_status === undefined ? undefined : Number(r.device_status),
  channelState: String(r.channel_state) as PushChannelState,
  reportedAt: opt(r.reported_at),
  expiresAt: opt(r.expires_at),
  lastPushAt: opt(r.last_push_at),
  lastResult: opt(r.last_result),
  failures: Number(r.failures),
  backoffUntil: opt(r.backoff_until),
  updatedAt: String(r.updated_at),
});
