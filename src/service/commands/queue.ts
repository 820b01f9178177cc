// A command as it enters the device's queue, and whether it may leave it in this session. The
// session engine, the reconciler's plans, the admin API and the admin's dry run all use these,
// so they sit below management/ and reconcile/.
import crypto from 'node:crypto';
import type { CommandOrigin, CommandPayload, CommandRecord } from '../../domain/command.js';

export function newCommand(
  devicePk: string,
  payload: CommandPayload,
  o: { origin: CommandOrigin; action?: string; userOid?: string; at: string; expiresAt?: string; id?: string },
): CommandRecord {
  return {
    id: o.id ?? crypto.randomUUID(),
    devicePk,
    userOid: o.userOid,
    origin: o.origin,
    action: o.action,
    payload,
    state: 'queued',
    createdAt: o.at,
    updatedAt: o.at,
    expiresAt: o.expiresAt,
    attempts: 0,
    maxAttempts: 3,
  };
}

/** Does this payload write or read the signed-in user's tree? */
function isUserScoped(p: CommandPayload): boolean {
  return (p.items ?? []).some((i) => i.target.startsWith('./User/')) || (p.commands ?? []).some(isUserScoped);
}

/**
 * Why a queued command cannot go out in this session (undefined: it can): it waits for its user,
 * or it addresses ./User on a multi-user (Entra join) enrollment while no Entra user is signed
 * in or the session is a Machine one. The session engine and the admin's dry run both ask this.
 */
export function holdReason(
  c: Pick<CommandRecord, 'userOid' | 'payload'>,
  s: { enrollmentType: string; userOid?: string; machine: boolean },
): string | undefined {
  if (c.userOid && s.userOid !== c.userOid) return `waiting for user ${c.userOid} to sign in`;
  if (s.enrollmentType === 'Device' && isUserScoped(c.payload) && (!s.userOid || s.machine)) return 'user-scoped: no Entra user signed in';
  return undefined;
}
