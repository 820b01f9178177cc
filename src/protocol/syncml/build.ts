// SyncML 1.2 writer: SyncMLMessage → XML text. Pure function, no I/O, plain string
// concatenation. Elements are written in DTD order (Windows does not validate but expects it),
// without an XML declaration and without whitespace between elements, every Meta child carrying
// xmlns="syncml:metinf" as in Windows' own messages.
//
// Text is escaped by the shared writer's escText (& < >, and CR as &#13; so that it survives the
// reader's line-end normalisation; quotes as they are); Item Data is written raw when `dataIsXml`
// is set. Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF,
// unpaired surrogates) make buildSyncML throw an XmlCharError (a RangeError) instead of producing
// a message the device would reject as a whole. What we echo of a device's message (Status
// references, LocURIs) was read by parseSyncML, which accepts no such character, so the echo
// cannot throw; profile values are refused when compiled (csp/common.ts), before they get here.
import { escText as esc } from '../xml-write.js';
import type { AlertCommand, ContainerCommand, Item, ItemCommand, Meta, ResultsCommand, StatusCommand, SyncCommand, SyncHdr, SyncMLMessage } from './types.js';

const MI = ' xmlns="syncml:metinf">';

export function buildSyncML(msg: SyncMLMessage): string {
  let s = msg.hdr.verDTD === '1.1' ? '<SyncML xmlns="SYNCML:SYNCML1.1">' : '<SyncML xmlns="SYNCML:SYNCML1.2">';
  s += buildHdr(msg.hdr);
  s += '<SyncBody>';
  for (const c of msg.body) s += buildCommand(c);
  s += msg.final ? '<Final/></SyncBody></SyncML>' : '</SyncBody></SyncML>';
  return s;
}

/**
 * Byte length (UTF-8) of the built message. For package splitting:
 * byteLength(msg) === byteLength({ ...msg, body: [] }) + Σ commandByteLength(cmd).
 */
export function byteLength(msg: SyncMLMessage): number {
  return Buffer.byteLength(buildSyncML(msg));
}

/** Byte length (UTF-8) of one command as buildSyncML writes it. */
export function commandByteLength(cmd: SyncCommand): number {
  return Buffer.byteLength(buildCommand(cmd));
}

function buildHdr(h: SyncHdr): string {
  let s =
    '<SyncHdr><VerDTD>' +
    esc(h.verDTD) +
    '</VerDTD><VerProto>' +
    esc(h.verProto) +
    '</VerProto><SessionID>' +
    esc(h.sessionId) +
    '</SessionID><MsgID>' +
    esc(h.msgId) +
    '</MsgID><Target><LocURI>' +
    esc(h.targetUri) +
    '</LocURI></Target><Source><LocURI>' +
    esc(h.sourceUri) +
    '</LocURI>';
  if (h.sourceName !== undefined) s += '<LocName>' + esc(h.sourceName) + '</LocName>';
  s += '</Source>';
  if (h.respUri !== undefined) s += '<RespURI>' + esc(h.respUri) + '</RespURI>';
  if (h.cred) {
    s += '<Cred>';
    if (h.cred.format !== undefined || h.cred.type !== undefined) {
      s += buildMeta({ format: h.cred.format, type: h.cred.type });
    }
    s += '<Data>' + esc(h.cred.data) + '</Data></Cred>';
  }
  if (h.meta) s += buildMeta(h.meta);
  return s + '</SyncHdr>';
}

/** One command, exactly as it appears inside SyncBody. */
export function buildCommand(c: SyncCommand): string {
  switch (c.kind) {
    case 'Status':
      return buildStatus(c);
    case 'Results':
      return buildResults(c);
    case 'Alert':
      return buildAlert(c);
    case 'Atomic':
    case 'Sequence':
      return buildContainer(c);
    default:
      return buildItemCommand(c);
  }
}

function buildItemCommand(c: ItemCommand): string {
  let s = '<' + c.kind + '><CmdID>' + esc(c.cmdId) + '</CmdID>';
  if (c.meta) s += buildMeta(c.meta);
  for (const it of c.items) s += buildItem(it);
  return s + '</' + c.kind + '>';
}

function buildAlert(c: AlertCommand): string {
  let s = '<Alert><CmdID>' + esc(c.cmdId) + '</CmdID><Data>' + esc(c.data) + '</Data>';
  for (const it of c.items) s += buildItem(it);
  return s + '</Alert>';
}

function buildContainer(c: ContainerCommand): string {
  let s = '<' + c.kind + '><CmdID>' + esc(c.cmdId) + '</CmdID>';
  if (c.meta) s += buildMeta(c.meta);
  for (const sub of c.commands) s += buildCommand(sub);
  return s + '</' + c.kind + '>';
}

function buildStatus(c: StatusCommand): string {
  let s =
    '<Status><CmdID>' + esc(c.cmdId) + '</CmdID><MsgRef>' + esc(c.msgRef) + '</MsgRef><CmdRef>' + esc(c.cmdRef) + '</CmdRef><Cmd>' + esc(c.cmd) + '</Cmd>';
  if (c.targetRef) for (const r of c.targetRef) s += '<TargetRef>' + esc(r) + '</TargetRef>';
  if (c.sourceRef) for (const r of c.sourceRef) s += '<SourceRef>' + esc(r) + '</SourceRef>';
  if (c.chal) s += '<Chal>' + buildMeta(c.chal.meta) + '</Chal>';
  s += '<Data>' + esc(c.data) + '</Data>';
  for (const it of c.items) s += buildItem(it);
  return s + '</Status>';
}

function buildResults(c: ResultsCommand): string {
  let s = '<Results><CmdID>' + esc(c.cmdId) + '</CmdID>';
  if (c.msgRef !== undefined) s += '<MsgRef>' + esc(c.msgRef) + '</MsgRef>';
  s += '<CmdRef>' + esc(c.cmdRef) + '</CmdRef>';
  if (c.meta) s += buildMeta(c.meta);
  if (c.targetRef) for (const r of c.targetRef) s += '<TargetRef>' + esc(r) + '</TargetRef>';
  if (c.sourceRef) for (const r of c.sourceRef) s += '<SourceRef>' + esc(r) + '</SourceRef>';
  for (const it of c.items) s += buildItem(it);
  return s + '</Results>';
}

function buildItem(it: Item): string {
  let s = '<Item>';
  if (it.target !== undefined) s += '<Target><LocURI>' + esc(it.target) + '</LocURI></Target>';
  if (it.source !== undefined) s += '<Source><LocURI>' + esc(it.source) + '</LocURI></Source>';
  if (it.meta) s += buildMeta(it.meta);
  if (it.data !== undefined) s += '<Data>' + (it.dataIsXml ? it.data : esc(it.data)) + '</Data>';
  if (it.moreData) s += '<MoreData/>';
  return s + '</Item>';
}

/** Meta in metinf DTD order: Format, Type, Mark, Size, NextNonce, MaxMsgSize, MaxObjSize. */
function buildMeta(m: Meta): string {
  let s = '<Meta>';
  if (m.format !== undefined) s += '<Format' + MI + esc(m.format) + '</Format>';
  if (m.type !== undefined) s += '<Type' + MI + esc(m.type) + '</Type>';
  if (m.mark !== undefined) s += '<Mark' + MI + esc(m.mark) + '</Mark>';
  if (m.size !== undefined) s += '<Size' + MI + num(m.size) + '</Size>';
  if (m.nextNonce !== undefined) s += '<NextNonce' + MI + esc(m.nextNonce) + '</NextNonce>';
  if (m.maxMsgSize !== undefined) s += '<MaxMsgSize' + MI + num(m.maxMsgSize) + '</MaxMsgSize>';
  if (m.maxObjSize !== undefined) s += '<MaxObjSize' + MI + num(m.maxObjSize) + '</MaxObjSize>';
  return s + '</Meta>';
}

function num(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`SyncML Meta size must be a non-negative integer, got ${n}`);
  return String(n);
}
