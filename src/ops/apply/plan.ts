// `fenestra apply`: what the file asks for against what the server holds, as a list of changes,
// each with its line for the operator and the API calls that make it. Objects are matched by
// their key (tenant id, group name, profile name); what the file does not mention is left alone
// unless prune is asked, and then only in the sections the file has.
import { maskSecrets } from '../../identity/secret-box.js';
import { diffSettings, fingerprint, type SecretState, type SettingChange } from './secrets.js';
import { readablePath, SpecError, type Spec, type SpecAssignment, type SpecGroup, type SpecProfile, type SpecTenant } from './spec.js';

/** The admin API, as the plan reads and changes it. */
export interface Api {
  call<T = unknown>(method: string, pathName: string, body?: unknown): Promise<T>;
}

interface Tenant {
  tenantId: string;
  cloud: string;
  audiences: string[];
  enrollmentUrl?: string | null;
  remediationUrl?: string | null;
}
interface Group {
  id: string;
  name: string;
  kind: string;
  members?: string[];
}
interface Profile {
  id: string;
  name: string;
  kind: string;
  scope: string;
  settings: Record<string, unknown>;
  assignments?: { targetType: string; targetId: string }[];
}

/** Filled while changes run: the ids of groups created by this apply, by name. */
interface RunContext {
  groupIds: Map<string, string>;
}

export interface Change {
  /** + create, ~ update, - delete */
  op: '+' | '~' | '-';
  /** What changes, for the operator (never a secret value). */
  text: string;
  /** The JSON pointer, in the file, of what asks for it. */
  at?: string;
  /** The request body is the file's object at `at`: a refusal's pointer continues it. */
  bodyIsFileObject?: boolean;
  run(api: Api, ctx: RunContext): Promise<void>;
}

export interface Plan {
  changes: Change[];
  /** The secret fingerprints to record once every change ran. */
  state: SecretState;
}

const enc = encodeURIComponent;
const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function showSetting(c: SettingChange): string {
  const where = `settings${readablePath(c.pointer).replace(/^(?!\[)/, '.')}`;
  if (c.secret) return `${where}: secret changed`;
  // A value added under a secret's name, or an object holding secrets, is shown masked.
  const last = c.pointer.split('/').pop() ?? '';
  const masked = (v: unknown) => show(maskSecrets({ [last]: v })[last]);
  if (c.before === undefined) return `${where}: added ${masked(c.after)}`;
  if (c.after === undefined) return `${where}: removed`;
  return `${where}: ${masked(c.before)} → ${masked(c.after)}`;
}

function tenantChanges(want: SpecTenant[], have: Tenant[], prune: boolean): Change[] {
  const out: Change[] = [];
  const byId = new Map(have.map((t) => [t.tenantId.toLowerCase(), t]));
  for (const [i, t] of want.entries()) {
    const at = `/tenants/${i}`;
    const cur = byId.get(t.tenantId.toLowerCase());
    if (!cur) {
      out.push({
        op: '+',
        at,
        bodyIsFileObject: true,
        text: `tenant ${t.tenantId} (${t.cloud ?? 'standard'}, audiences ${t.audiences.join(', ')})`,
        run: async (api) => void (await api.call('POST', '/api/v1/tenants', { ...t, cloud: t.cloud ?? 'standard' })),
      });
      continue;
    }
    const patch: Record<string, unknown> = {};
    const lines: string[] = [];
    if (t.cloud !== undefined && t.cloud !== cur.cloud) {
      patch.cloud = t.cloud;
      lines.push(`cloud ${cur.cloud} → ${t.cloud}`);
    }
    if (!sameSet(t.audiences, cur.audiences)) {
      patch.audiences = t.audiences;
      lines.push(`audiences ${cur.audiences.join(', ')} → ${t.audiences.join(', ')}`);
    }
    for (const k of ['enrollmentUrl', 'remediationUrl'] as const) {
      if (t[k] !== undefined && (t[k] ?? null) !== (cur[k] ?? null)) {
        patch[k] = t[k];
        lines.push(`${k} ${show(cur[k] ?? undefined)} → ${show(t[k] ?? undefined)}`);
      }
    }
    if (lines.length)
      out.push({
        op: '~',
        text: `tenant ${cur.tenantId}: ${lines.join('; ')}`,
        run: async (api) => void (await api.call('PATCH', `/api/v1/tenants/${enc(cur.tenantId)}`, patch)),
      });
  }
  if (prune) {
    const wanted = new Set(want.map((t) => t.tenantId.toLowerCase()));
    for (const t of have)
      if (!wanted.has(t.tenantId.toLowerCase()))
        out.push({
          op: '-',
          text: `tenant ${t.tenantId} (disconnected; its devices stay managed)`,
          run: async (api) => void (await api.call('DELETE', `/api/v1/tenants/${enc(t.tenantId)}`)),
        });
  }
  return out;
}

const memberKey = (kind: string, m: string) => (kind === 'user' ? m.trim().toLowerCase() : m.trim());

async function groupChanges(api: Api, want: SpecGroup[], have: Group[]): Promise<Change[]> {
  const out: Change[] = [];
  const byName = new Map(have.map((g) => [g.name, g]));
  for (const [i, g] of want.entries()) {
    const name = g.name.trim();
    const cur = byName.get(name);
    if (!cur) {
      out.push({
        op: '+',
        at: `/groups/${i}`,
        bodyIsFileObject: true,
        text: `group "${name}" (${g.kind}, ${g.members?.length ?? 0} members)`,
        run: async (a, ctx) => {
          const made = await a.call<Group>('POST', '/api/v1/groups', { name, kind: g.kind, ...(g.members?.length ? { members: g.members } : {}) });
          ctx.groupIds.set(name, made.id);
        },
      });
      continue;
    }
    if (cur.kind !== g.kind)
      throw new SpecError([{ pointer: `/groups/${i}/kind`, message: `group "${name}" exists as a ${cur.kind} group: its kind cannot change` }]);
    if (!g.members) continue;
    const full = await api.call<Group>('GET', `/api/v1/groups/${enc(cur.id)}`);
    const haveMembers = new Set((full.members ?? []).map((m) => memberKey(g.kind, m)));
    const wantMembers = [...new Set(g.members.map((m) => memberKey(g.kind, m)))];
    const add = wantMembers.filter((m) => !haveMembers.has(m));
    const remove = [...haveMembers].filter((m) => !wantMembers.includes(m));
    if (add.length || remove.length) {
      out.push({
        op: '~',
        at: `/groups/${i}/members`,
        text: `group "${name}": ${[...add.map((m) => `+ member ${m}`), ...remove.map((m) => `- member ${m}`)].join(', ')}`,
        run: async (a) => {
          if (add.length) await a.call('POST', `/api/v1/groups/${enc(cur.id)}/members`, { members: add });
          for (const m of remove) await a.call('DELETE', `/api/v1/groups/${enc(cur.id)}/members/${enc(m)}`);
        },
      });
    }
  }
  return out;
}

/** An assignment as the server keeps it; a group the file creates is known by name until it exists. */
interface Target {
  targetType: string;
  targetId?: string;
  groupName?: string;
  /** An Entra group's tenant, when the file names it (sent with the assignment). */
  tenantId?: string;
  label: string;
}

async function targetOf(api: Api, a: SpecAssignment, groups: Map<string, Group>, at: string): Promise<Target> {
  if (a === 'all') return { targetType: 'all', targetId: '*', label: 'all' };
  if ('user' in a) return { targetType: 'user', targetId: a.user.trim().toLowerCase(), label: `user ${a.user}` };
  if ('entraGroup' in a) {
    const id = a.entraGroup.trim().toLowerCase();
    const tenantId = a.tenantId?.trim();
    return { targetType: 'entraGroup', targetId: id, tenantId, label: `Entra group ${id}${tenantId ? ` (tenant ${tenantId})` : ''}` };
  }
  if ('group' in a) {
    const name = a.group.trim();
    const g = groups.get(name);
    return { targetType: 'group', targetId: g?.id, groupName: name, label: `group "${name}"` };
  }
  try {
    const d = await api.call<{ id: string }>('GET', `/api/v1/devices/${enc(a.device)}`);
    return { targetType: 'device', targetId: d.id, label: `device ${a.device}` };
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
    throw new SpecError([{ pointer: `${at}/device`, message: `no device ${a.device} on the server` }]);
  }
}

async function profileChanges(
  api: Api,
  want: SpecProfile[],
  have: Profile[],
  groups: Map<string, Group>,
  declaredGroups: Set<string>,
  token: string,
  state: SecretState,
) {
  const out: Change[] = [];
  const next: SecretState = { profiles: {} };
  const byName = new Map<string, Profile[]>();
  for (const p of have) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  // Certificate profiles first: VPN and Wi-Fi profiles refer to them by ref.
  const ordered = [...want.entries()].sort(([, a], [, b]) => Number(b.kind === 'certificate') - Number(a.kind === 'certificate'));
  const assignmentChanges: Change[] = [];
  for (const [i, p] of ordered) {
    const at = `/profiles/${i}`;
    const same = byName.get(p.name) ?? [];
    if (same.length > 1)
      throw new SpecError([{ pointer: `${at}/name`, message: `${same.length} profiles on the server are named "${p.name}": rename all but one` }]);
    const cur = same[0];
    const fp = (pointer: string, value: string) => fingerprint(token, p.name, pointer, value);
    const secretsOfFile = diffSettings(p.settings, maskSecrets(p.settings), undefined, fp).secrets;
    // The profile's id: known, or once the create above ran.
    const ctxId = { id: cur?.id };
    if (!cur) {
      out.push({
        op: '+',
        at,
        bodyIsFileObject: true,
        text: `profile "${p.name}" (${p.kind}, ${p.scope} scope)`,
        run: async (a) => {
          ctxId.id = (await a.call<Profile>('POST', '/api/v1/profiles', { name: p.name, kind: p.kind, scope: p.scope, settings: p.settings })).id;
        },
      });
    } else {
      if (cur.kind !== p.kind || cur.scope !== p.scope) {
        const field = cur.kind !== p.kind ? 'kind' : 'scope';
        throw new SpecError([
          { pointer: `${at}/${field}`, message: `profile "${p.name}" exists with ${field} ${cur[field]}: it cannot change (give the new one another name)` },
        ]);
      }
      const d = diffSettings(p.settings, cur.settings, state.profiles[p.name], fp);
      if (d.changes.length) {
        out.push({
          op: '~',
          at,
          bodyIsFileObject: true,
          text: `profile "${p.name}": ${d.changes.map(showSetting).join('; ')}`,
          run: async (a) => void (await a.call('PATCH', `/api/v1/profiles/${enc(cur.id)}`, { settings: p.settings })),
        });
      }
    }
    next.profiles[p.name] = secretsOfFile;
    if (!p.assignments) continue;
    const wanted: Target[] = [];
    for (const [j, a] of p.assignments.entries()) {
      const t = await targetOf(api, a, groups, `${at}/assignments/${j}`);
      if (t.targetType === 'group' && !t.targetId && !declaredGroups.has(t.groupName!))
        throw new SpecError([{ pointer: `${at}/assignments/${j}/group`, message: `no group "${t.groupName}" on the server or in the file` }]);
      wanted.push(t);
    }
    const current = cur ? ((await api.call<Profile>('GET', `/api/v1/profiles/${enc(cur.id)}`)).assignments ?? []) : [];
    const key = (x: { targetType: string; targetId?: string }) => `${x.targetType}:${x.targetId}`;
    const haveKeys = new Set(current.map(key));
    const wantKeys = new Set(wanted.filter((w) => w.targetId).map(key));
    const groupName = new Map([...groups.values()].map((g) => [g.id, g.name]));
    for (const [j, w] of wanted.entries()) {
      if (w.targetId && haveKeys.has(key(w))) continue;
      assignmentChanges.push({
        op: '+',
        at: `${at}/assignments/${j}`,
        text: `assignment "${p.name}" → ${w.label}`,
        run: async (a, ctx) => {
          const targetId = w.targetId ?? ctx.groupIds.get(w.groupName!);
          await a.call(
            'POST',
            `/api/v1/profiles/${enc(ctxId.id!)}/assignments`,
            w.targetType === 'all' ? { targetType: 'all' } : { targetType: w.targetType, targetId, ...(w.tenantId ? { tenantId: w.tenantId } : {}) },
          );
        },
      });
    }
    for (const c of current) {
      if (wantKeys.has(key(c))) continue;
      const label =
        c.targetType === 'all'
          ? 'all'
          : c.targetType === 'group'
            ? `group "${groupName.get(c.targetId) ?? c.targetId}"`
            : c.targetType === 'entraGroup'
              ? `Entra group ${c.targetId}`
              : `${c.targetType} ${c.targetId}`;
      assignmentChanges.push({
        op: '-',
        text: `assignment "${p.name}" → ${label}`,
        run: async (a) =>
          void (await a.call(
            'DELETE',
            `/api/v1/profiles/${enc(cur!.id)}/assignments`,
            c.targetType === 'all' ? { targetType: 'all' } : { targetType: c.targetType, targetId: c.targetId },
          )),
      });
    }
  }
  return { profiles: out, assignments: assignmentChanges, state: next };
}

/** Reads the server and lists the changes the file asks for. Throws a SpecError for what cannot be applied (with the file's path). */
export async function plan(api: Api, spec: Spec, opts: { prune: boolean; token: string; state: SecretState }): Promise<Plan> {
  const changes: Change[] = [];
  if (spec.tenants) changes.push(...tenantChanges(spec.tenants, await api.call<Tenant[]>('GET', '/api/v1/tenants'), opts.prune));
  const groups = await api.call<Group[]>('GET', '/api/v1/groups');
  const groupsByName = new Map(groups.map((g) => [g.name, g]));
  const declaredGroups = new Set((spec.groups ?? []).map((g) => g.name.trim()));
  if (spec.groups) changes.push(...(await groupChanges(api, spec.groups, groups)));
  const profiles = spec.profiles || opts.prune ? await api.call<Profile[]>('GET', '/api/v1/profiles') : [];
  let state: SecretState = { profiles: {} };
  if (spec.profiles) {
    const r = await profileChanges(api, spec.profiles, profiles, groupsByName, declaredGroups, opts.token, opts.state);
    changes.push(...r.profiles, ...r.assignments);
    state = r.state;
    if (opts.prune) {
      const names = new Set(spec.profiles.map((p) => p.name));
      for (const p of profiles)
        if (!names.has(p.name))
          changes.push({ op: '-', text: `profile "${p.name}" (${p.kind})`, run: async (a) => void (await a.call('DELETE', `/api/v1/profiles/${enc(p.id)}`)) });
    }
  }
  if (spec.groups && opts.prune) {
    for (const g of groups)
      if (!declaredGroups.has(g.name))
        changes.push({ op: '-', text: `group "${g.name}" (${g.kind})`, run: async (a) => void (await a.call('DELETE', `/api/v1/groups/${enc(g.id)}`)) });
  }
  return { changes, state };
}

/** Runs the changes in order; stops at the first refusal (what ran stays applied: running apply again resumes). */
export async function execute(api: Api, p: Plan, onDone: (c: Change) => void): Promise<void> {
  const ctx: RunContext = { groupIds: new Map() };
  for (const c of p.changes) {
    await c.run(api, ctx);
    onDone(c);
  }
}
