// Push (WNS) per device: the channel the device reported and how our pushes to it went.

/**
 * ok: a channel we may push to; none: the device reported no channel (yet); device-error: its
 * Push/Status is a failure; refused: the ChannelURI is not https or not under the allowed hosts
 * (never contacted); gone: WNS answered 410, stop until the device reports a new one.
 */
export type PushChannelState = 'ok' | 'none' | 'device-error' | 'refused' | 'gone';

export interface PushChannelRecord {
  devicePk: string;
  /** The PFN last set on the device (Replace acknowledged). */
  pfn?: string;
  /** The ChannelURI, sealed (identity/secret-box): with a WNS token it wakes the device. */
  sealedChannel?: string;
  /** Its host, for the admin (the path is the capability). */
  channelHost?: string;
  /** DMClient Push/Status as the device reported it (0 = success). */
  deviceStatus?: number;
  channelState: PushChannelState;
  /** When the device last answered the channel read. */
  reportedAt?: string;
  /** When the channel expires, if known. */
  expiresAt?: string;
  lastPushAt?: string;
  /** sent, token-error, gone, throttled, error, timeout… */
  lastResult?: string;
  /** Pushes failed in a row (0 after a success or a new channel). */
  failures: number;
  /** No push before this time (WNS throttled us, or failures in a row). */
  backoffUntil?: string;
  updatedAt: string;
}
