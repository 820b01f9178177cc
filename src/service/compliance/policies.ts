// Compliance policies as the admin API and console manage them: checked, versioned, audited with
// the person, assigned as profiles are (all, a device, a local group, a user, an Entra group). A change bumps the
// compliance generation: each device's state is evaluated again when next read, at its next
// inventory, or by the background pass (service.ts).
import crypto from 'node:crypto';
import type { Store } from '../../store/types.js';
import type { ComplianceAssignment, CompliancePolicy, ComplianceRules, ComplianceTargetType } from '../../domain/compliance.js';
import { auditEntry } from '../audit.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { versionParts } from './evaluate.js';
import { entraGroupId, watchEntraGroup } from '../entra/group-targets.js';

export interface PolicyInput {
  name?: string;
  rules?: ComplianceRules;
  graceHours?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^@\s]+@[^@\s]+$/;

/** Rules an admin sent: versions must read as dotted numbers; at least one rule. */
function checkRules(rules: ComplianceRules): ComplianceRules {
  if (rules.minOsBuild !== undefined && !versionParts(rules.minOsBuild))
    throw invalid('/rules/minOsBuild', 'minOsBuild is a dotted build number, such as 10.0.22631 or 10.0.22631.2861');
  if (rules.minTpmVersion !== undefined && !versionParts(rules.minTpmVersion)) throw invalid('/rules/minTpmVersion', 'minTpmVersion is a version, such as 2.0');
  if (!Object.values(rules).some((v) => v !== undefined && v !== false)) throw invalid('/rules', 'a policy needs at least one rule');
  return rules;
}

export class CompliancePolicyService {
  private readonly store: Store;
  /** An Entra group got an assignment: sync it now rather than at the next timer round. */
  private readonly onEntraGroup?: (groupId: string) => void;
  constructor(store: Store, onEntraGroup?: (groupId: string) => void) {
    this.store = store;
    this.onEntraGroup = onEntraGroup;
  }

  list(): Promise<CompliancePolicy[]> {
    return this.store.compliance.listPolicies();
  }

  private async record(id: string): Promise<CompliancePolicy> {
    const p = await this.store.compliance.getPolicy(id);
    if (!p) throw notFound('compliance policy');
    return p;
  }

  async get(id: string): Promise<CompliancePolicy & { assignments: ComplianceAssignment[] }> {
    const p = await this.record(id);
    return { ...p, assignments: await this.store.compliance.assignments(id) };
  }

  async create(input: Required<Pick<PolicyInput, 'name' | 'rules'>> & PolicyInput, actor: string): Promise<CompliancePolicy> {
    const name = input.name.trim();
    if (!name) throw invalid('/name', 'name must not be empty');
    const at = new Date().toISOString();
    const p: CompliancePolicy = {
      id: crypto.randomUUID(),
      name,
      rules: checkRules(input.rules),
      graceHours: input.graceHours ?? 0,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    await this.store.compliance.createPolicy(
      p,
      auditEntry(actor, 'compliance-policy.create', 'compliance-policy', p.id, { name, rules: p.rules, graceHours: p.graceHours }),
    );
    return p;
  }

  async change(id: string, input: PolicyInput, actor: string): Promise<CompliancePolicy> {
    const cur = await this.record(id);
    const name = input.name?.trim();
    if (name === '') throw invalid('/name', 'name must not be empty');
    const next: CompliancePolicy = {
      ...cur,
      name: name ?? cur.name,
      rules: input.rules ? checkRules(input.rules) : cur.rules,
      graceHours: input.graceHours ?? cur.graceHours,
      version: cur.version + 1,
      updatedAt: new Date().toISOString(),
    };
    const ok = await this.store.compliance.updatePolicy(
      next,
      auditEntry(actor, 'compliance-policy.update', 'compliance-policy', id, { version: next.version, ...input }),
    );
    if (!ok) throw notFound('compliance policy');
    return next;
  }

  async remove(id: string, actor: string): Promise<void> {
    const p = await this.record(id);
    const entraGroups = (await this.store.compliance.assignments(id)).filter((a) => a.targetType === 'entraGroup').map((a) => a.targetId);
    if (!(await this.store.compliance.deletePolicy(id, auditEntry(actor, 'compliance-policy.delete', 'compliance-policy', id, { name: p.name }))))
      throw notFound('compliance policy');
    // Its assignments went with it: Entra groups nothing else targets are no longer synced.
    for (const g of entraGroups) await this.store.entraGroups.unwatchIfUntargeted(g);
  }

  async assign(id: string, target: { targetType: string; targetId?: string; tenantId?: string }, actor: string): Promise<ComplianceAssignment> {
    await this.record(id);
    const type = target.targetType as ComplianceTargetType;
    const tid = await this.targetId(type, target.targetId);
    if (tid === undefined) throw new ApiError(400, 'invalid', `no such ${type}`, '/targetId');
    // An Entra group is watched from its first assignment on (its membership synced from Graph).
    const tenantId = type === 'entraGroup' ? await watchEntraGroup(this.store, tid, target.tenantId) : undefined;
    const a: ComplianceAssignment = { policyId: id, targetType: type, targetId: tid, createdAt: new Date().toISOString() };
    const added = await this.store.compliance.assign(
      a,
      auditEntry(actor, 'compliance-policy.assign', 'compliance-policy', id, { targetType: type, targetId: tid, ...(tenantId ? { tenantId } : {}) }),
    );
    if (!added) throw new ApiError(409, 'conflict', 'this assignment exists', type === 'all' ? '/targetType' : '/targetId');
    if (tenantId) {
      // Watched again now the assignment is stored: an unassign of its last other one meanwhile may have dropped it.
      await this.store.entraGroups.watch({ id: tid, tenantId, createdAt: a.createdAt });
      this.onEntraGroup?.(tid);
    }
    return a;
  }

  async unassign(id: string, target: { targetType: string; targetId?: string }, actor: string): Promise<void> {
    const type = target.targetType as ComplianceTargetType;
    const tid = await this.targetId(type, target.targetId, true);
    if (tid === undefined) throw notFound('assignment');
    const ok = await this.store.compliance.unassign(
      id,
      type,
      tid,
      auditEntry(actor, 'compliance-policy.unassign', 'compliance-policy', id, { targetType: type, targetId: tid }),
    );
    if (!ok) throw notFound('assignment');
    if (type === 'entraGroup') await this.store.entraGroups.unwatchIfUntargeted(tid);
  }

  /** As profiles store theirs: all → '*', a user lower-cased, a device by our id (or its DeviceID), a group that exists, an Entra group's object ID lower-cased. */
  private async targetId(type: ComplianceTargetType, raw: string | undefined, removing = false): Promise<string | undefined> {
    const tid = (raw ?? '').trim();
    switch (type) {
      case 'all':
        if (tid) throw invalid('/targetId', 'targetType "all" takes no targetId');
        return '*';
      case 'user':
        if (!GUID.test(tid) && !UPN.test(tid)) throw invalid('/targetId', 'a user is an Entra object ID or a UPN');
        return tid.toLowerCase();
      case 'group':
        return (await this.store.groups.get(tid)) ? tid : removing && tid ? tid : undefined;
      case 'device': {
        const d = (await this.store.devices.get(tid)) ?? (await this.store.devices.getByDeviceId(tid));
        return d ? d.id : removing && tid ? tid : undefined;
      }
      case 'entraGroup':
        return entraGroupId(tid);
      default:
        throw invalid('/targetType', 'targetType must be all, device, group, user or entraGroup');
    }
  }
}
