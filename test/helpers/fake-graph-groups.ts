// Entra groups on the fake Microsoft Graph (routes added with FakeGraph.addRoute): a directory of
// groups whose members are users, devices (object ID and device ID) and other groups, with a
// change log, served as Graph does for the group sync:
// - GET /v1.0/groups/delta?$filter=id eq '{id}'&$select=…members: the direct members as
//   members@delta in pages ($skiptoken), then an @odata.deltaLink; from a $deltatoken, only the
//   changes since (the last word on each member; removals carry @removed), paged the same way;
//   a token made stale by expireDeltaTokens() answers 410 as Graph does for an expired token;
// - GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user|device: transitive members, paged;
// - GET /v1.0/devices/{id}?$select=deviceId.
// Needs GroupMember.Read.All (or Directory.Read.All) on the token, as Graph does.
import type { FakeGraph, GraphAnswer, GraphCall } from './fake-graph.js';

export type DirectoryObject = { type: 'user'; id: string } | { type: 'device'; id: string; deviceId: string } | { type: 'group'; id: string };

interface FakeGroup {
  id: string;
  displayName: string;
  members: Map<string, DirectoryObject>;
  log: { seq: number; obj: DirectoryObject; removed: boolean }[];
}

export interface FakeDirectory {
  addGroup(id: string, displayName: string): void;
  addMember(groupId: string, obj: DirectoryObject): void;
  removeMember(groupId: string, objectId: string): void;
  /** Delta tokens issued so far answer 410 from now on. */
  expireDeltaTokens(): void;
  /** Requests served, by route ('delta', 'transitive', 'device'). */
  readonly served: Record<string, number>;
}

const ODATA = { user: '#microsoft.graph.user', device: '#microsoft.graph.device', group: '#microsoft.graph.group' } as const;

export function serveGroups(graph: FakeGraph, opts: { pageSize?: number; transitivePageSize?: number } = {}): FakeDirectory {
  const pageSize = opts.pageSize ?? 100;
  const transitivePageSize = opts.transitivePageSize ?? 999;
  const groups = new Map<string, FakeGroup>();
  const devices = new Map<string, string>();
  let seq = 0;
  let validFrom = 0;
  const served: Record<string, number> = { delta: 0, transitive: 0, device: 0 };
  const allowed = (c: GraphCall) => c.auth.roles.some((r) => r === 'GroupMember.Read.All' || r === 'Directory.Read.All');
  const denied: GraphAnswer = {
    status: 403,
    body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } },
  };
  const notFound: GraphAnswer = { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'no such object' } } };
  const ref = (o: DirectoryObject, removed = false) => ({ '@odata.type': ODATA[o.type], id: o.id, ...(removed ? { '@removed': { reason: 'deleted' } } : {}) });
  const base = (c: GraphCall) => `https://${c.host}/v1.0/groups/delta`;

  const page = (c: GraphCall, g: FakeGroup, items: unknown[], offset: number, next: (o: number) => string, last: string): GraphAnswer => {
    const slice = items.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = { value: [{ id: g.id, displayName: g.displayName, 'members@delta': slice }] };
    if (offset + pageSize < items.length) body['@odata.nextLink'] = `${base(c)}?$skiptoken=${next(offset + pageSize)}`;
    else body['@odata.deltaLink'] = `${base(c)}?$deltatoken=${last}`;
    return { body };
  };
  /** Members changed in (from, to]: the last word on each. */
  const changes = (g: FakeGroup, from: number, to: number) => {
    const last = new Map<string, { obj: DirectoryObject; removed: boolean }>();
    for (const e of g.log) if (e.seq > from && e.seq <= to) last.set(e.obj.id, e);
    return [...last.values()].map((e) => ref(e.obj, e.removed));
  };

  graph.addRoute('GET', /^\/v1\.0\/groups\/delta$/, (c) => {
    served.delta++;
    if (!allowed(c)) return denied;
    const skip = c.query.get('$skiptoken');
    const token = c.query.get('$deltatoken');
    if (skip) {
      // full.<group>.<offset>.<seq> or delta.<group>.<from>.<to>.<offset>
      const [kind, id, a, b, d] = skip.split('.');
      const g = groups.get(id);
      if (!g) return notFound;
      if (kind === 'full') {
        const items = [...g.members.values()].map((o) => ref(o));
        return page(c, g, items, Number(a), (o) => `full.${id}.${o}.${b}`, `${id}.${b}`);
      }
      return page(c, g, changes(g, Number(a), Number(b)), Number(d), (o) => `delta.${id}.${a}.${b}.${o}`, `${id}.${b}`);
    }
    if (token) {
      const [id, from] = token.split('.');
      const g = groups.get(id);
      if (!g) return notFound;
      if (Number(from) < validFrom) return { status: 410, body: { error: { code: 'syncStateNotFound', message: 'the delta token has expired' } } };
      const to = seq;
      return page(c, g, changes(g, Number(from), to), 0, (o) => `delta.${id}.${from}.${to}.${o}`, `${id}.${to}`);
    }
    const id = /^id eq '([^']+)'$/.exec(c.query.get('$filter') ?? '')?.[1];
    const g = id ? groups.get(id) : undefined;
    if (!g) return { body: { value: [], '@odata.deltaLink': `${base(c)}?$deltatoken=none.${seq}` } };
    const items = [...g.members.values()].map((o) => ref(o));
    return page(c, g, items, 0, (o) => `full.${g.id}.${o}.${seq}`, `${g.id}.${seq}`);
  });

  const transitive = (g: FakeGroup, type: 'user' | 'device', seen = new Set<string>()): DirectoryObject[] => {
    const out = new Map<string, DirectoryObject>();
    seen.add(g.id);
    for (const m of g.members.values()) {
      if (m.type === type) out.set(m.id, m);
      const inner = m.type === 'group' ? groups.get(m.id) : undefined;
      if (inner && !seen.has(inner.id)) for (const x of transitive(inner, type, seen)) out.set(x.id, x);
    }
    return [...out.values()];
  };
  graph.addRoute('GET', /^\/v1\.0\/groups\/([^/]+)\/transitiveMembers\/microsoft\.graph\.(user|device)$/, (c) => {
    served.transitive++;
    if (!allowed(c)) return denied;
    const g = groups.get(c.params[0]);
    if (!g) return notFound;
    const all = transitive(g, c.params[1] as 'user' | 'device');
    const offset = Number(c.query.get('$skiptoken') ?? '0');
    const value = all.slice(offset, offset + transitivePageSize).map((o) => (o.type === 'device' ? { id: o.id, deviceId: o.deviceId } : { id: o.id }));
    const body: Record<string, unknown> = { value };
    if (offset + transitivePageSize < all.length)
      body['@odata.nextLink'] = `https://${c.host}${c.path}?$select=${c.query.get('$select') ?? 'id'}&$skiptoken=${offset + transitivePageSize}`;
    return { body };
  });
  graph.addRoute('GET', /^\/v1\.0\/devices\/([^/]+)$/, (c) => {
    served.device++;
    if (!allowed(c)) return denied;
    const deviceId = devices.get(c.params[0]);
    return deviceId ? { body: { id: c.params[0], deviceId } } : notFound;
  });

  return {
    served,
    addGroup(id, displayName) {
      groups.set(id, { id, displayName, members: new Map(), log: [] });
    },
    addMember(groupId, obj) {
      const g = groups.get(groupId)!;
      if (obj.type === 'device') devices.set(obj.id, obj.deviceId);
      g.members.set(obj.id, obj);
      g.log.push({ seq: ++seq, obj, removed: false });
    },
    removeMember(groupId, objectId) {
      const g = groups.get(groupId)!;
      const obj = g.members.get(objectId);
      if (!obj) return;
      g.members.delete(objectId);
      g.log.push({ seq: ++seq, obj, removed: true });
    },
    expireDeltaTokens() {
      validFrom = ++seq;
    },
  };
}
