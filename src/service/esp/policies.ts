// Enrollment Status Page policies as the admin API edits them: checked field by field (a 400
// names the field), stored, audited. Sessions read them through EspSessions (sessions.ts), which
// this process tells at once when they change (espChanged).
import crypto from 'node:crypto';
import type { EspPolicy, EspTarget } from '../../domain/esp.js';
import { ESP_TIMEOUT_MAX, ESP_TIMEOUT_MIN } from '../../protocol/csp/esp.js';
import type { Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { entraGroupId, watchEntraGroup } from '../entra/group-targets.js';
import { ApiError, invalid, notFound } from '../errors.js';

/** What the admin sends (create: all required but name/target/required profiles have no default; update: the same, whole). */
export interface EspPolicyInput {
  name?: unknown;
  target?: unknown;
  requiredProfileIds?: unknown;
  timeoutMinutes?: unknown;
  errorText?: unknown;
  blockDevice?: unknown;
  allowReset?: unknown;
  allowContinue?: unknown;
  allowCollectLogs?: unknown;
  skipUserPhase?: unknown;
  skipDevicePhase?: unknown;
  /** An Entra group target: the tenant it is synced from (else the only one with application credentials). */
  tenantId?: unknown;
}

const MAX_REQUIRED = 100;
const MAX_ERROR_TEXT = 1000;
const MAX_NAME = 200;
/** C0 controls other than tab and newline, and U+F000 (the list delimiter). */
// eslint-disable-next-line no-control-regex
const BAD_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f\uf000]/;

/** This process's sessions re-read the policies at once after a change (other replicas within seconds). */
let generation = 0;
export const espGeneration = (): number => generation;
const espChanged = (): void => void generation++;

export class EspPolicyService {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  list(): Promise<EspPolicy[]> {
    return this.store.esp.listPolicies();
  }

  async get(id: string): Promise<EspPolicy> {
    const p = await this.store.esp.getPolicy(id);
    if (!p) throw notFound('ESP policy');
    return p;
  }

  async create(input: EspPolicyInput, actor: string): Promise<EspPolicy> {
    const at = new Date().toISOString();
    const p: EspPolicy = { id: crypto.randomUUID(), ...(await this.check(input)), createdAt: at, updatedAt: at };
    await this.store.esp.createPolicy(p);
    await this.store.audit.append(auditEntry(actor, 'esp.create', 'esp-policy', p.id, { name: p.name }));
    espChanged();
    return p;
  }

  async update(id: string, input: EspPolicyInput, actor: string): Promise<EspPolicy> {
    const old = await this.get(id);
    const p: EspPolicy = { id, ...(await this.check(input)), createdAt: old.createdAt, updatedAt: new Date().toISOString() };
    if (!(await this.store.esp.updatePolicy(p))) throw notFound('ESP policy');
    await this.store.audit.append(auditEntry(actor, 'esp.update', 'esp-policy', id, { name: p.name }));
    // The Entra group it targeted before is synced no longer if nothing else targets it.
    if (old.target.type === 'entraGroup' && old.target.id && old.target.id !== p.target.id) await this.store.entraGroups.unwatchIfUntargeted(old.target.id);
    espChanged();
    return p;
  }

  async delete(id: string, actor: string): Promise<void> {
    const old = await this.get(id);
    if (!(await this.store.esp.deletePolicy(id))) throw notFound('ESP policy');
    if (old.target.type === 'entraGroup' && old.target.id) await this.store.entraGroups.unwatchIfUntargeted(old.target.id);
    await this.store.audit.append(auditEntry(actor, 'esp.delete', 'esp-policy', id));
    espChanged();
  }

  private async check(i: EspPolicyInput): Promise<Omit<EspPolicy, 'id' | 'createdAt' | 'updatedAt'>> {
    if (typeof i.name !== 'string' || !i.name.trim()) throw invalid('/name', 'a policy needs a name');
    if (i.name.length > MAX_NAME || BAD_TEXT.test(i.name)) throw invalid('/name', `at most ${MAX_NAME} characters, no control characters`);
    const target = await this.target(i.target, i.tenantId);
    if (!Array.isArray(i.requiredProfileIds)) throw invalid('/requiredProfileIds', 'a list of profile ids');
    if (i.requiredProfileIds.length > MAX_REQUIRED) throw invalid('/requiredProfileIds', `at most ${MAX_REQUIRED} profiles`);
    const required: string[] = [];
    for (const [n, id] of i.requiredProfileIds.entries()) {
      const ptr = `/requiredProfileIds/${n}`;
      if (typeof id !== 'string' || !id) throw invalid(ptr, 'a profile id');
      const prof = await this.store.profiles.get(id);
      if (!prof || prof.deletedAt) throw invalid(ptr, `no such profile: ${id.slice(0, 80)}`);
      if (!required.includes(id)) required.push(id);
    }
    const timeout = i.timeoutMinutes ?? 60;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < ESP_TIMEOUT_MIN || timeout > ESP_TIMEOUT_MAX) {
      throw invalid('/timeoutMinutes', `an integer number of minutes, ${ESP_TIMEOUT_MIN} to ${ESP_TIMEOUT_MAX}`);
    }
    let errorText: string | undefined;
    if (i.errorText !== undefined && i.errorText !== null && i.errorText !== '') {
      if (typeof i.errorText !== 'string' || i.errorText.length > MAX_ERROR_TEXT || BAD_TEXT.test(i.errorText)) {
        throw invalid('/errorText', `text of at most ${MAX_ERROR_TEXT} characters, no control characters`);
      }
      errorText = i.errorText;
    }
    const flag = (name: keyof EspPolicyInput, dflt: boolean): boolean => {
      const v = i[name] ?? dflt;
      if (typeof v !== 'boolean') throw invalid(`/${name}`, 'true or false');
      return v;
    };
    const blockDevice = flag('blockDevice', false);
    const allowReset = flag('allowReset', false);
    const allowContinue = flag('allowContinue', false);
    if (!blockDevice && (allowReset || allowContinue)) throw invalid(allowReset ? '/allowReset' : '/allowContinue', 'only with blockDevice');
    const p: Omit<EspPolicy, 'id' | 'createdAt' | 'updatedAt'> = {
      name: i.name.trim(),
      target,
      requiredProfileIds: required,
      timeoutMinutes: timeout,
      blockDevice,
      allowCollectLogs: flag('allowCollectLogs', false),
      skipUserPhase: flag('skipUserPhase', false),
      skipDevicePhase: flag('skipDevicePhase', false),
    };
    if (errorText !== undefined) p.errorText = errorText;
    if (allowReset) p.allowReset = true;
    if (allowContinue) p.allowContinue = true;
    return p;
  }

  private async target(raw: unknown, tenantId: unknown): Promise<EspTarget> {
    if (!raw || typeof raw !== 'object') throw invalid('/target', 'an object { type, id? }');
    const { type, id } = raw as { type?: unknown; id?: unknown };
    switch (type) {
      case 'all':
        if (id !== undefined && id !== null && id !== '') throw invalid('/target/id', 'target type "all" takes no id');
        return { type: 'all' };
      case 'group': {
        if (typeof id !== 'string' || !(await this.store.groups.get(id))) throw invalid('/target/id', 'no such group');
        return { type: 'group', id };
      }
      case 'entraGroup': {
        if (typeof id !== 'string') throw invalid('/target/id', 'an Entra group object ID');
        let gid: string;
        try {
          gid = entraGroupId(id);
        } catch (err) {
          if (err instanceof ApiError) throw invalid('/target/id', err.message);
          throw err;
        }
        // Its membership is synced from Graph from now on (as for a profile assigned to it).
        await watchEntraGroup(this.store, gid, typeof tenantId === 'string' ? tenantId : undefined);
        return { type: 'entraGroup', id: gid };
      }
      default:
        throw invalid('/target/type', 'all, group or entraGroup');
    }
  }
}
