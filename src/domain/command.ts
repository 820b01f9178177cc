// The OMA-DM command queue: a command as queued, sent and answered.

export type CommandState = 'queued' | 'held' | 'sent' | 'acked' | 'failed' | 'cancelled' | 'expired';

export type CommandOrigin = 'admin' | 'inventory' | 'profile' | 'system';

/** A SyncML command to send, as a template (CmdIDs are assigned per session). */
export interface CommandPayload {
  kind: 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec' | 'Atomic' | 'Sequence';
  items?: {
    target: string;
    format?: string;
    type?: string;
    data?: string;
    dataIsXml?: boolean;
    /** `data` is a secret sealed with the server's secret key (identity/secret-box): opened only to send it. */
    sealed?: boolean;
  }[];
  /** Children of Atomic / Sequence. */
  commands?: CommandPayload[];
}

export interface CommandResult {
  locUri: string;
  format?: string;
  type?: string;
  data?: string;
}

/** What a queued command does for a profile delivery (see ProfileDelivery). */
export interface CommandProfileRef {
  profileId: string;
  version: number;
  /** '' = the device tree (nobody's); else the user key (Entra object ID) of a ./User delivery. */
  userKey: string;
  op: 'apply' | 'remove' | 'verify';
  /** verify: LocURI → digest of the value the node must read back as (protocol/csp/delta readBackDigest). */
  expect?: Record<string, string>;
}

export interface CommandRecord {
  id: string;
  devicePk: string;
  /** Deliver only in a session of this Entra user (user-scoped settings). */
  userOid?: string;
  origin: CommandOrigin;
  /** Named action (reboot, wipe, …) or undefined for raw commands. */
  action?: string;
  payload: CommandPayload;
  state: CommandState;
  heldReason?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  attempts: number;
  maxAttempts: number;
  sentSession?: string;
  sentMsgId?: string;
  sentCmdId?: string;
  sentAt?: string;
  /** SyncML status code of the command (Atomic: the Atomic's own status). */
  status?: string;
  /**
   * Per-child statuses for Atomic/Sequence, per-item statuses of a multi-item command (when the
   * device answered item by item), the nodes an inventory Get found missing, and other details.
   */
  detail?: {
    children?: { index: number; status: string }[];
    items?: { index: number; status: string }[];
    missing?: string[];
    retriedAs?: string;
    note?: string;
  };
  ackedAt?: string;
  error?: string;
  results?: CommandResult[];
  /** Profile commands: the delivery (one profile for one device and user) this command belongs to. */
  batch?: string;
  profile?: CommandProfileRef;
}

export interface CommandAck {
  commandId: string;
  state: CommandState;
  status?: string;
  detail?: CommandRecord['detail'];
  results?: CommandResult[];
  error?: string;
  /** 418 on Add: the same command goes back to the queue as a Replace. */
  requeueAs?: CommandPayload;
}
