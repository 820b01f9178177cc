// SyncML 1.2 (OMA-DM 1.2, MS-MDM) reader: body bytes → SyncMLMessage. Pure function, no I/O.
//
// One saxes pass (the same strict XML 1.0 reader as src/protocol/xml.ts: no DOCTYPE, only the
// predefined entities, invalid UTF-8 and truncation refused) builds a small element tree, which
// is then read into the model. Everything except Item Data is trimmed at both ends; Item Data is
// kept exactly as sent — entity-decoded text, or, when <Data> holds child elements (Format xml
// sent unescaped), the inner markup sliced verbatim out of the input.
//
// Namespaces: the root must be SyncML in SYNCML:SYNCML1.2 (or 1.1). Namespace names are compared
// after trimming and lower-casing, because Windows and its documentation are lax about case and
// published samples carry `xmlns= "syncml:metinf "`. Meta children may be in syncml:metinf or in
// the SyncML namespace.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import {
  SyncMLError,
  type AlertCommand,
  type ContainerCommand,
  type Cred,
  type Item,
  type ItemCommand,
  type ItemCommandName,
  type Meta,
  type ResultsCommand,
  type StatusCommand,
  type SyncCommand,
  type SyncHdr,
  type SyncMLMessage,
} from './types.js';

export interface ParseLimits {
  /** Largest accepted body in bytes (UTF-8). Default 1 MiB. Larger → SyncMLError 413. */
  maxBytes?: number;
  /** Deepest accepted element nesting, SyncML = 1. Default 24. Deeper → SyncMLError 400. */
  maxDepth?: number;
  /** Most commands in one message, nested ones included. Default 2000. More → SyncMLError 413. */
  maxCommands?: number;
  /** Most Items in one command. Default 2000. More → SyncMLError 413. */
  maxItems?: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<Required<ParseLimits>> = {
  maxBytes: 1024 * 1024,
  maxDepth: 24,
  maxCommands: 2000,
  maxItems: 2000,
};

// Namespace classes of an element.
const NS_SYNCML = 0;
const NS_METINF = 1;
const NS_OTHER = 2;

function nsClass(uri: string): number {
  // Fast path for the spellings Windows uses.
  if (uri === 'SYNCML:SYNCML1.2') return NS_SYNCML;
  if (uri === 'syncml:metinf') return NS_METINF;
  const u = uri.trim().toLowerCase();
  if (u === 'syncml:syncml1.2' || u === 'syncml:syncml1.1') return NS_SYNCML;
  if (u === 'syncml:metinf') return NS_METINF;
  return NS_OTHER;
}

interface El {
  name: string;
  ns: number;
  kids: El[];
  /** Concatenated character data (text and CDATA) directly inside the element. */
  text: string;
  /** For Data: string index just after its start tag. */
  start: number;
  /** Data only: holds child elements, so `raw` is read instead of `text`. */
  hasKids?: boolean;
  /** For Data holding child elements: the inner markup, verbatim. */
  raw?: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parse one SyncML message. Throws SyncMLError: 413 when a size limit is exceeded, 415 when the
 * body is well-formed XML so far but not a SyncML document (wrong root or namespace), 400 for
 * everything else (empty, not UTF-8, not well-formed, DOCTYPE, too deep, no SyncHdr/SyncBody).
 */
export function parseSyncML(body: string | Buffer, limits: ParseLimits = {}): SyncMLMessage {
  const maxBytes = limits.maxBytes ?? DEFAULT_PARSE_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_PARSE_LIMITS.maxDepth;
  let xml: string;
  if (typeof body === 'string') {
    // A UTF-16 string never takes more than 3 UTF-8 bytes per unit: skip the count when small.
    if (body.length * 3 > maxBytes) {
      const size = Buffer.byteLength(body);
      if (size > maxBytes) throw new SyncMLError(413, `SyncML body of ${size} bytes exceeds the ${maxBytes}-byte limit`);
    }
    xml = body;
  } else {
    if (body.length > maxBytes) throw new SyncMLError(413, `SyncML body of ${body.length} bytes exceeds the ${maxBytes}-byte limit`);
    try {
      xml = UTF8.decode(body);
    } catch {
      throw new SyncMLError(400, 'malformed SyncML: the body is not valid UTF-8');
    }
  }
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  if (isBlank(xml)) throw new SyncMLError(400, 'empty SyncML body');

  const root = readTree(xml, maxDepth);
  return readMessage(root, limits);
}

// ---- XML → element tree ---------------------------------------------------------------------

function readTree(xml: string, maxDepth: number): El {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: El[] = [];
  let root: El | undefined;
  let cur: El | undefined;
  // Inside a Data element that holds child elements: how many of those children are open.
  let rawDepth = 0;

  parser.on('error', (err) => {
    throw new SyncMLError(400, `malformed SyncML: ${err.message}`);
  });
  // saxes reports a DOCTYPE once it has scanned it (it never reads the internal subset, so no
  // entity is ever declared); refusing it here refuses the whole message before any element.
  parser.on('doctype', () => {
    throw new SyncMLError(400, 'malformed SyncML: DOCTYPE and entity declarations are not accepted');
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length + rawDepth >= maxDepth) throw new SyncMLError(400, `malformed SyncML: nesting deeper than ${maxDepth} levels`);
    if (rawDepth > 0) {
      rawDepth++;
      return;
    }
    let ns = nsClass(tag.uri);
    // <Meta xmlns="syncml:metinf"> (namespace declared on Meta itself) is the SyncML Meta.
    if (ns === NS_METINF && tag.local === 'Meta') ns = NS_SYNCML;
    if (cur === undefined) {
      if (tag.local !== 'SyncML' || ns !== NS_SYNCML) {
        throw new SyncMLError(
          415,
          tag.local !== 'SyncML'
            ? `not a SyncML message: root element is <${tag.name}>`
            : `not a SyncML 1.2 message: root namespace is "${tag.uri}", expected "SYNCML:SYNCML1.2"`,
        );
      }
    } else if (cur.name === 'Data' && cur.ns === NS_SYNCML) {
      // Data with child markup (Format xml, unescaped): keep its content verbatim, don't read it.
      cur.hasKids = true;
      rawDepth = 1;
      return;
    }
    const el: El = { name: tag.local, ns, kids: [], text: '', start: 0 };
    if (tag.local === 'Data') el.start = parser.position;
    if (cur) cur.kids.push(el);
    else root = el;
    stack.push(el);
    cur = el;
  });
  parser.on('closetag', () => {
    if (rawDepth > 0) {
      rawDepth--;
      return;
    }
    const el = stack.pop();
    if (!el) return;
    if (el.hasKids) {
      // The Data end tag (`</Data S?>`) starts at the last '<' before the current position.
      el.raw = xml.slice(el.start, xml.lastIndexOf('<', parser.position - 1));
    }
    cur = stack[stack.length - 1];
  });
  const onText = (t: string) => {
    if (cur !== undefined && rawDepth === 0) cur.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof SyncMLError) throw err;
    throw new SyncMLError(400, `malformed SyncML: ${(err as Error).message}`);
  }
  if (!root || stack.length !== 0) throw new SyncMLError(400, 'malformed SyncML: no complete root element');
  return root;
}

// ---- element tree → model -------------------------------------------------------------------

interface Budget {
  commands: number;
  maxCommands: number;
  maxItems: number;
  unknown: string[];
}

function readMessage(root: El, limits: ParseLimits): SyncMLMessage {
  let hdrEl: El | undefined;
  let bodyEl: El | undefined;
  for (const k of root.kids) {
    if (k.ns !== NS_SYNCML) continue;
    if (k.name === 'SyncHdr') hdrEl ??= k;
    else if (k.name === 'SyncBody') bodyEl ??= k;
  }
  if (!hdrEl) throw new SyncMLError(400, 'malformed SyncML: no SyncHdr');
  if (!bodyEl) throw new SyncMLError(400, 'malformed SyncML: no SyncBody');

  const budget: Budget = {
    commands: 0,
    maxCommands: limits.maxCommands ?? DEFAULT_PARSE_LIMITS.maxCommands,
    maxItems: limits.maxItems ?? DEFAULT_PARSE_LIMITS.maxItems,
    unknown: [],
  };
  const body: SyncCommand[] = [];
  let final = false;
  for (const k of bodyEl.kids) {
    if (k.ns === NS_SYNCML && k.name === 'Final') {
      final = true;
      continue;
    }
    const cmd = readCommand(k, budget, false);
    if (cmd) body.push(cmd);
  }
  const msg: SyncMLMessage = { hdr: readHdr(hdrEl), body, final };
  if (budget.unknown.length) msg.unknown = budget.unknown;
  return msg;
}

function readHdr(el: El): SyncHdr {
  const hdr: SyncHdr = { verDTD: '', verProto: '', sessionId: '', msgId: '', targetUri: '', sourceUri: '' };
  for (const k of el.kids) {
    if (k.ns !== NS_SYNCML) continue;
    switch (k.name) {
      case 'VerDTD':
        hdr.verDTD = trim(k.text);
        break;
      case 'VerProto':
        hdr.verProto = trim(k.text);
        break;
      case 'SessionID':
        hdr.sessionId = trim(k.text);
        break;
      case 'MsgID':
        hdr.msgId = trim(k.text);
        break;
      case 'Target':
        hdr.targetUri = trim(kidText(k, 'LocURI') ?? '');
        break;
      case 'Source': {
        hdr.sourceUri = trim(kidText(k, 'LocURI') ?? '');
        const name = kidText(k, 'LocName');
        if (name !== undefined) hdr.sourceName = trim(name);
        break;
      }
      case 'RespURI':
        hdr.respUri = trim(k.text);
        break;
      case 'Cred':
        hdr.cred = readCred(k);
        break;
      case 'Meta':
        hdr.meta = readMeta(k);
        break;
    }
  }
  return hdr;
}

function readCred(el: El): Cred {
  const cred: Cred = { data: '' };
  for (const k of el.kids) {
    if (k.ns !== NS_SYNCML) continue;
    if (k.name === 'Meta') {
      const m = readMeta(k);
      if (m.format !== undefined) cred.format = m.format;
      if (m.type !== undefined) cred.type = m.type;
    } else if (k.name === 'Data') {
      cred.data = trim(k.raw ?? k.text);
    }
  }
  return cred;
}

/** Meta (or Chal/Meta): children in syncml:metinf, tolerated in the SyncML namespace too. */
function readMeta(el: El, into: Meta = {}): Meta {
  for (const k of el.kids) {
    if (k.ns === NS_OTHER) continue;
    readMetaChild(k, into);
  }
  return into;
}

function readMetaChild(k: El, m: Meta): boolean {
  switch (k.name) {
    case 'Format':
      m.format = trim(k.text);
      return true;
    case 'Type':
      m.type = trim(k.text);
      return true;
    case 'Mark':
      m.mark = trim(k.text);
      return true;
    case 'NextNonce':
      m.nextNonce = trim(k.text);
      return true;
    case 'Size':
    case 'MaxMsgSize':
    case 'MaxObjSize': {
      // A non-numeric value is ignored rather than failing the whole message.
      const v = trim(k.text);
      if (/^\d{1,15}$/.test(v)) m[k.name === 'Size' ? 'size' : k.name === 'MaxMsgSize' ? 'maxMsgSize' : 'maxObjSize'] = Number(v);
      return true;
    }
  }
  return false;
}

function readItem(el: El): Item {
  const item: Item = {};
  let stray: Meta | undefined;
  for (const k of el.kids) {
    if (k.ns === NS_METINF) {
      // Type/Format directly under Item (published MS-MDM synctype/DevicePrepSync alerts).
      stray ??= {};
      readMetaChild(k, stray);
      continue;
    }
    if (k.ns !== NS_SYNCML) continue;
    switch (k.name) {
      case 'Target':
        item.target = trim(kidText(k, 'LocURI') ?? '');
        break;
      case 'Source':
        item.source = trim(kidText(k, 'LocURI') ?? '');
        break;
      case 'Meta':
        item.meta = readMeta(k, item.meta);
        break;
      case 'Data':
        if (k.raw !== undefined) {
          item.data = k.raw;
          item.dataIsXml = true;
        } else {
          item.data = k.text;
        }
        break;
      case 'MoreData':
        item.moreData = true;
        break;
    }
  }
  if (stray) item.meta = { ...stray, ...item.meta };
  return item;
}

const ITEM_COMMANDS = new Set<string>(['Add', 'Replace', 'Delete', 'Get', 'Exec']);

type Nested = ItemCommand | AlertCommand | ContainerCommand;

/** One command element; undefined (and recorded in budget.unknown) when it isn't one. */
function readCommand(el: El, budget: Budget, nested: true): Nested | undefined;
function readCommand(el: El, budget: Budget, nested: boolean): SyncCommand | undefined;
function readCommand(el: El, budget: Budget, nested: boolean): SyncCommand | undefined {
  const name = el.name;
  const known =
    el.ns === NS_SYNCML &&
    (ITEM_COMMANDS.has(name) || name === 'Alert' || name === 'Atomic' || name === 'Sequence' || (!nested && (name === 'Status' || name === 'Results')));
  if (!known) {
    budget.unknown.push(name);
    return undefined;
  }
  if (++budget.commands > budget.maxCommands) {
    throw new SyncMLError(413, `SyncML message has more than ${budget.maxCommands} commands`);
  }

  let cmdId = '';
  let meta: Meta | undefined;
  let data: string | undefined;
  const items: Item[] = [];
  const common = (k: El): boolean => {
    switch (k.name) {
      case 'CmdID':
        cmdId = trim(k.text);
        return true;
      case 'Item':
        if (items.length >= budget.maxItems) {
          throw new SyncMLError(413, `SyncML ${name} command has more than ${budget.maxItems} items`);
        }
        items.push(readItem(k));
        return true;
      case 'Meta':
        meta = readMeta(k, meta);
        return true;
      case 'Data':
        data = trim(k.raw ?? k.text);
        return true;
    }
    return false;
  };

  if (name === 'Atomic' || name === 'Sequence') {
    const commands: Nested[] = [];
    for (const k of el.kids) {
      if (k.ns === NS_SYNCML && (k.name === 'CmdID' || k.name === 'Meta' || k.name === 'NoResp')) {
        common(k);
        continue;
      }
      const c = readCommand(k, budget, true);
      if (c) commands.push(c);
    }
    const cmd: ContainerCommand = { kind: name, cmdId, commands };
    if (meta) cmd.meta = meta;
    return cmd;
  }

  if (name === 'Status' || name === 'Results') {
    let msgRef: string | undefined;
    let cmdRef = '';
    let cmd = '';
    let targetRef: string[] | undefined;
    let sourceRef: string[] | undefined;
    let chal: { meta: Meta } | undefined;
    for (const k of el.kids) {
      if (k.ns !== NS_SYNCML || common(k)) continue;
      switch (k.name) {
        case 'MsgRef':
          msgRef = trim(k.text);
          break;
        case 'CmdRef':
          cmdRef = trim(k.text);
          break;
        case 'Cmd':
          cmd = trim(k.text);
          break;
        case 'TargetRef':
          (targetRef ??= []).push(trim(k.text));
          break;
        case 'SourceRef':
          (sourceRef ??= []).push(trim(k.text));
          break;
        case 'Chal': {
          const m: Meta = {};
          for (const c of k.kids) if (c.ns === NS_SYNCML && c.name === 'Meta') readMeta(c, m);
          chal = { meta: m };
          break;
        }
      }
    }
    if (name === 'Status') {
      const st: StatusCommand = { kind: 'Status', cmdId, msgRef: msgRef ?? '', cmdRef, cmd, data: data ?? '', items };
      if (targetRef) st.targetRef = targetRef;
      if (sourceRef) st.sourceRef = sourceRef;
      if (chal) st.chal = chal;
      return st;
    }
    // Results: Windows also sends <Cmd>Get</Cmd>, which the model does not keep.
    const res: ResultsCommand = { kind: 'Results', cmdId, cmdRef, items };
    if (msgRef !== undefined) res.msgRef = msgRef;
    if (meta) res.meta = meta;
    if (targetRef) res.targetRef = targetRef;
    if (sourceRef) res.sourceRef = sourceRef;
    return res;
  }

  for (const k of el.kids) if (k.ns === NS_SYNCML) common(k);
  if (name === 'Alert') return { kind: 'Alert', cmdId, data: data ?? '', items };
  const ic: ItemCommand = { kind: name as ItemCommandName, cmdId, items };
  if (meta) ic.meta = meta;
  return ic;
}

// ---- helpers --------------------------------------------------------------------------------

function kidText(el: El, name: string): string | undefined {
  for (const k of el.kids) if (k.name === name && k.ns === NS_SYNCML) return k.text;
  return undefined;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Trim XML whitespace (space, tab, CR, LF) only, at both ends. */
function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isWs(s.charCodeAt(i))) return false;
  return true;
}
