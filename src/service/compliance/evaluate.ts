// Compliance evaluation: a device's facts against the policies assigned to it. Pure (no I/O, the
// clock passed in): the same inputs give the same state. Each rule answers pass, fail (with what
// was expected and what the device reported) or unknown (the device did not report the node: a
// Windows edition or version without it, a 404 to the inventory Get) — unknown never makes a
// device noncompliant, it makes it "unknown" when nothing fails.
import type { ComplianceReason, ComplianceRuleName, ComplianceRules, ComplianceState, CompliancePolicy } from '../../domain/compliance.js';
import { COMPLIANCE_NODES, helloNode } from './nodes.js';

export interface DeviceFacts {
  /** LocURI → value, as the inventory Get read it. */
  inventory: Record<string, string>;
  tenantId?: string;
  lastSeenAt?: string;
  enrolledAt: string;
}

export interface Evaluation {
  state: ComplianceState;
  reasons: ComplianceReason[];
  /** `id@version` of the policies evaluated. */
  policies: string[];
  noncompliantSince?: string;
}

type Outcome = { outcome: 'pass' } | { outcome: 'fail' | 'unknown'; expected: string; actual?: string };

const pass: Outcome = { outcome: 'pass' };
const unknown = (expected: string): Outcome => ({ outcome: 'unknown', expected });
const verdict = (ok: boolean, expected: string, actual: string): Outcome => (ok ? pass : { outcome: 'fail', expected, actual });

/** Dotted version parts as numbers; undefined when a part is not a number. */
export function versionParts(v: string): number[] | undefined {
  const parts = v.trim().split('.');
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p))) return undefined;
  return parts.map(Number);
}

/** a >= min, comparing the parts `min` has (a "10.0.22631" minimum accepts "10.0.22631.2861"). */
function atLeast(a: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const x = a[i] ?? 0;
    if (x !== min[i]) return x > min[i];
  }
  return true;
}

/** A DeviceStatus integer node expected to hold `want` (meaning `label`). */
function statusIs(inv: Record<string, string>, node: string, want: number, label: string, names: Record<string, string>): Outcome {
  const v = inv[node];
  if (v === undefined) return unknown(label);
  const n = v.trim();
  return verdict(n === String(want), label, names[n] ? `${names[n]} (${n})` : n);
}

const AV_STATUS: Record<string, string> = { '0': 'on', '1': 'disabled', '2': 'not monitoring', '3': 'temporarily not monitoring', '4': 'not applicable' };
const FW_STATUS: Record<string, string> = {
  '0': 'on',
  '1': 'disabled',
  '2': 'not monitoring all networks',
  '3': 'temporarily not monitoring',
  '4': 'not applicable',
};
const SIG_STATUS: Record<string, string> = { '0': 'out of date', '1': 'up to date', '2': 'not applicable' };
const SECURE_BOOT: Record<string, string> = { '0': 'not supported', '1': 'enabled', '2': 'disabled' };
const ENCRYPTION: Record<string, string> = { '0': 'not encrypted', '1': 'encrypted' };

const DAY_MS = 24 * 3600_000;

/** One rule of a policy on a device. */
export function checkRule(rule: ComplianceRuleName, rules: ComplianceRules, facts: DeviceFacts, now: Date): Outcome | undefined {
  const inv = facts.inventory;
  switch (rule) {
    case 'minOsBuild': {
      const min = rules.minOsBuild;
      if (min === undefined) return undefined;
      const expected = `OS build ${min} or later`;
      const v = inv[COMPLIANCE_NODES.osBuild];
      const a = v === undefined ? undefined : versionParts(v);
      const m = versionParts(min);
      if (!a || !m) return v === undefined ? unknown(expected) : { outcome: 'unknown', expected, actual: v };
      return verdict(atLeast(a, m), expected, v!);
    }
    case 'bitLocker':
      return rules.bitLocker ? statusIs(inv, COMPLIANCE_NODES.encryption, 1, 'OS drive encrypted', ENCRYPTION) : undefined;
    case 'antivirus':
      return rules.antivirus ? statusIs(inv, COMPLIANCE_NODES.antivirus, 0, 'antivirus on and monitoring', AV_STATUS) : undefined;
    case 'antivirusSignatures':
      return rules.antivirusSignatures ? statusIs(inv, COMPLIANCE_NODES.antivirusSignatures, 1, 'antivirus signatures up to date', SIG_STATUS) : undefined;
    case 'firewall':
      return rules.firewall ? statusIs(inv, COMPLIANCE_NODES.firewall, 0, 'firewall on and monitoring', FW_STATUS) : undefined;
    case 'secureBoot':
      return rules.secureBoot ? statusIs(inv, COMPLIANCE_NODES.secureBoot, 1, 'Secure Boot enabled', SECURE_BOOT) : undefined;
    case 'minTpmVersion': {
      const min = rules.minTpmVersion;
      if (min === undefined) return undefined;
      const expected = `TPM ${min} or later`;
      const v = inv[COMPLIANCE_NODES.tpm];
      if (v === undefined) return unknown(expected);
      // "2.0, 0, 1.38": the specification version, then the level and revision.
      const spec = v.split(',')[0].trim();
      if (!spec) return { outcome: 'fail', expected, actual: 'no TPM' };
      const a = versionParts(spec);
      const m = versionParts(min);
      if (!a || !m) return { outcome: 'unknown', expected, actual: v };
      return verdict(atLeast(a, m), expected, spec);
    }
    case 'windowsHello': {
      if (!rules.windowsHello) return undefined;
      const expected = 'Windows Hello for Business required';
      const v = facts.tenantId ? inv[helloNode(facts.tenantId)] : undefined;
      if (v === undefined) return unknown(expected);
      const on = /^(true|1)$/i.test(v.trim());
      return verdict(on, expected, on ? 'required' : 'not required');
    }
    case 'maxDaysSinceCheckIn': {
      const days = rules.maxDaysSinceCheckIn;
      if (days === undefined) return undefined;
      const last = facts.lastSeenAt ?? facts.enrolledAt;
      const age = now.getTime() - Date.parse(last);
      return verdict(age <= days * DAY_MS, `checked in within ${days} days`, `last check-in ${last}`);
    }
  }
}

export const RULE_NAMES: readonly ComplianceRuleName[] = [
  'minOsBuild',
  'bitLocker',
  'antivirus',
  'antivirusSignatures',
  'firewall',
  'secureBoot',
  'minTpmVersion',
  'windowsHello',
  'maxDaysSinceCheckIn',
];

/**
 * The device's state under these policies. `noncompliantSince` is the previous evaluation's (kept
 * while some rule keeps failing); a device failing for less than the smallest grace period of the
 * policies it fails is inGracePeriod. No policy: unknown (nothing to report).
 */
export function evaluate(policies: readonly CompliancePolicy[], facts: DeviceFacts, now: Date, previous?: { noncompliantSince?: string }): Evaluation {
  const reasons: ComplianceReason[] = [];
  let failing = false;
  let grace = Infinity;
  for (const p of policies) {
    for (const rule of RULE_NAMES) {
      const o = checkRule(rule, p.rules, facts, now);
      if (!o || o.outcome === 'pass') continue;
      reasons.push({ policyId: p.id, rule, outcome: o.outcome, expected: o.expected, ...(o.actual !== undefined ? { actual: o.actual } : {}) });
      if (o.outcome === 'fail') {
        failing = true;
        grace = Math.min(grace, p.graceHours);
      }
    }
  }
  const ids = policies.map((p) => `${p.id}@${p.version}`).sort();
  if (!failing) {
    const state: ComplianceState = policies.length === 0 || reasons.length > 0 ? 'unknown' : 'compliant';
    return { state, reasons, policies: ids };
  }
  const since = previous?.noncompliantSince ?? now.toISOString();
  const inGrace = now.getTime() - Date.parse(since) < grace * 3600_000;
  return { state: inGrace ? 'inGracePeriod' : 'noncompliant', reasons, policies: ids, noncompliantSince: since };
}
