// Email profile → EMAIL2 (docs/protocol-notes.md "Email"): one IMAP4/POP3 account under
// ./User/Vendor/MSFT/EMAIL2/{GUID}, every leaf Format chr, all in one Atomic. The account GUID is
// derived from the caller's stable accountId (UUID v5), so recompiling never creates a second
// account. User scope only. Pure (SHA-1 is deterministic).
import { createHash } from 'node:crypto';
import type { Problems } from './common.js';
import type { EmailSettings } from './schemas.js';
import type { CompiledNode, CompiledProfile, Scope } from './types.js';
import { cspRoot } from './uri.js';

/** Namespace of the account GUIDs: uuidv5(URL namespace, "urn:fenestra:csp:email2"). Never change it. */
export const EMAIL2_GUID_NAMESPACE = 'fc14c307-6101-557b-9e1a-9c204d0f704c';

const GUID_RE = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/;

/** RFC 4122 name-based UUID, version 5 (SHA-1), lowercase. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The EMAIL2 account node name `{GUID}` (uppercase, braces): the accountId itself when it is a GUID, else uuidv5 of it. */
export function emailAccountGuid(accountId: string): string {
  const m = GUID_RE.exec(accountId);
  return `{${(m ? m[1] : uuidV5(EMAIL2_GUID_NAMESPACE, accountId)).toUpperCase()}}`;
}

export function emailScopeProblem(scope: Scope, p: Problems): void {
  if (scope !== 'user') p.add('/scope', 'EMAIL2 accounts exist only in the user tree: assign email profiles with user scope');
}

export function compileEmail(s: EmailSettings, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const outServer = `${s.outgoing.host}:${s.outgoing.port}`;
  if (outServer.length > 62) p.add('/outgoing/host', 'host:port of the outgoing server must be at most 62 characters (OUTSERVER)');

  // The node name with literal braces, as Microsoft's EMAIL2 samples address it (rule 98; not
  // %7B…%7D: encodeSegment would escape them). A GUID holds nothing else that needs escaping.
  const root = `${cspRoot('user', 'EMAIL2')}/${emailAccountGuid(s.accountId)}`;
  const nodes: CompiledNode[] = [];
  const leaf = (name: string, value: string | number | undefined, secret = false) => {
    if (value === undefined) return;
    nodes.push({ uri: `${root}/${name}`, format: 'chr', value: String(value), ...(secret ? { secret: true } : {}), readBack: !secret });
  };
  leaf('ACCOUNTTYPE', 'Email');
  leaf('SERVICENAME', s.accountName);
  leaf('SERVICETYPE', s.serviceType);
  leaf('INSERVER', `${s.incoming.host}:${s.incoming.port}`);
  leaf('OUTSERVER', outServer);
  leaf('AUTHNAME', s.userName);
  leaf('AUTHSECRET', s.password, true);
  leaf('AUTHREQUIRED', s.outgoing.requiresAuthentication === false ? '0' : '1');
  leaf('DOMAIN', s.domain);
  leaf('NAME', s.displayName);
  leaf('REPLYADDR', s.emailAddress);
  leaf('LINGER', s.syncIntervalMinutes);
  leaf('DWNDAY', s.downloadDays);
  leaf('TAGPROPS/8128000B', s.incoming.ssl === false ? '0' : '1');
  leaf('TAGPROPS/812C000B', s.outgoing.ssl === false ? '0' : '1');
  return { units: [{ id: 'email:Account', nodes, atomic: true }], removal: [root], requires: [] };
}
