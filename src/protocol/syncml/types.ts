// The SyncML 1.2 / OMA-DM 1.2 message model as Windows uses it (MS-MDM §2.2). Pure data.

/** Meta (xmlns="syncml:metinf"). */
export interface Meta {
  format?: string;
  type?: string;
  mark?: string;
  size?: number;
  maxMsgSize?: number;
  maxObjSize?: number;
  /** base64 text as sent. */
  nextNonce?: string;
}

export interface Item {
  target?: string;
  source?: string;
  meta?: Meta;
  /**
   * Item Data, exactly as the peer meant it: entity-decoded text, or — when the Data element
   * holds child markup (Format xml, unescaped) — that markup verbatim.
   */
  data?: string;
  /** On output: put `data` into <Data> as raw markup instead of escaping it. */
  dataIsXml?: boolean;
  moreData?: boolean;
}

export interface Cred {
  format?: string;
  type?: string;
  data: string;
}

export interface SyncHdr {
  verDTD: string;
  verProto: string;
  sessionId: string;
  msgId: string;
  targetUri: string;
  sourceUri: string;
  /** Source LocName (OMA-DM user name for digest). */
  sourceName?: string;
  /** Server → client: where the client sends the next message of the session. */
  respUri?: string;
  cred?: Cred;
  meta?: Meta;
}

export type ItemCommandName = 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec';

export interface ItemCommand {
  kind: ItemCommandName;
  cmdId: string;
  meta?: Meta;
  items: Item[];
}

export interface AlertCommand {
  kind: 'Alert';
  cmdId: string;
  /** Alert code, e.g. '1201', '1224', '1226'. */
  data: string;
  items: Item[];
}

export interface ContainerCommand {
  kind: 'Atomic' | 'Sequence';
  cmdId: string;
  meta?: Meta;
  commands: (ItemCommand | AlertCommand | ContainerCommand)[];
}

export interface StatusCommand {
  kind: 'Status';
  cmdId: string;
  msgRef: string;
  cmdRef: string;
  cmd: string;
  targetRef?: string[];
  sourceRef?: string[];
  /** Status code, e.g. '200'. */
  data: string;
  chal?: { meta: Meta };
  items: Item[];
}

export interface ResultsCommand {
  kind: 'Results';
  cmdId: string;
  msgRef?: string;
  cmdRef: string;
  meta?: Meta;
  targetRef?: string[];
  sourceRef?: string[];
  items: Item[];
}

export type SyncCommand = ItemCommand | AlertCommand | ContainerCommand | StatusCommand | ResultsCommand;

export interface SyncMLMessage {
  hdr: SyncHdr;
  body: SyncCommand[];
  final: boolean;
  /**
   * Parser only: local names of elements found where a command was expected (under SyncBody,
   * Atomic or Sequence) that are not commands the model knows; they are left out of `body`.
   */
  unknown?: string[];
}

/** A whole-message problem: the server answers HTTP `httpStatus` (400 malformed, 413 too large, 415 not SyncML XML). */
export class SyncMLError extends Error {
  public readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

export const ALERT = {
  SERVER_INITIATED: '1200',
  CLIENT_INITIATED: '1201',
  NEXT_MESSAGE: '1222',
  SESSION_ABORT: '1223',
  CLIENT_EVENT: '1224',
  NO_END_OF_DATA: '1225',
  GENERIC: '1226',
} as const;

export const STATUS = {
  OK: '200',
  ACCEPTED: '202',
  AUTH_ACCEPTED: '212',
  CHUNK_ACCEPTED: '213',
  CANCELLED: '214',
  NOT_EXECUTED: '215',
  ATOMIC_ROLLBACK_OK: '216',
  BAD_REQUEST: '400',
  INVALID_CREDENTIALS: '401',
  FORBIDDEN: '403',
  NOT_FOUND: '404',
  NOT_ALLOWED: '405',
  OPTIONAL_FEATURE: '406',
  MISSING_CREDENTIALS: '407',
  UNSUPPORTED_MEDIA: '415',
  ALREADY_EXISTS: '418',
  SIZE_MISMATCH: '424',
  PERMISSION_DENIED: '425',
  COMMAND_FAILED: '500',
  ATOMIC_FAILED: '507',
  ATOMIC_ROLLBACK_FAILED: '516',
} as const;
