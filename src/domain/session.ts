// What an OMA-DM session leaves behind: its state between packages, alerts, traces.

/** State of an OMA-DM session that must survive between packages (any replica continues it). */
export interface DmSessionState {
  devicePk: string;
  sessionId: string;
  /** Last server MsgID used. */
  msgIdOut: number;
  /** Last server CmdID used (unique within the session). */
  cmdIdOut: number;
  /** "msgId:cmdId" → command (and child index inside Atomic/Sequence). */
  sent: Record<string, { commandId: string; child?: number }>;
  /** Commands chosen for this package but not sent yet (package split by MaxMsgSize). */
  pending: string[];
  auth: 'certificate' | 'digest';
  user?: { oid: string; upn?: string };
  loginStatus?: string;
  /** The device's MaxMsgSize (SyncHdr Meta), remembered for the session. */
  maxMsgSize?: number;
  startedAt: string;
  /** Last message of the session (state idle longer than SESSION_IDLE_MS is expired). */
  lastAt?: string;
  /** Digest sessions: hash of the token in our last RespURI (see service/management/session-token). */
  tokenHash?: string;
}

export interface DeviceAlert {
  code: string;
  type?: string;
  format?: string;
  mark?: string;
  source?: string;
  data?: string;
}

export interface TraceEntry {
  sessionId: string;
  msgId: string;
  direction: 'in' | 'out';
  at: string;
  body: string;
  truncated: boolean;
}
