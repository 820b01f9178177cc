// The admin's side of the command queue: queue raw commands and named actions, list them with
// their state, status and results, cancel what has not been sent; session traces.
import type { Store } from '../../store/types.js';
import type { CommandRecord } from '../../domain/command.js';
import { newCommand } from '../commands/queue.js';
import { redactPayload } from '../commands/sealed.js';
import { ApiError, notFound } from '../errors.js';
import { ACTIONS, REFUSED_ACTIONS, type ActionName, type RawCommandInput, actionPayload, payloadFromInput } from './commands.js';

export interface QueueInput extends Partial<RawCommandInput> {
  action?: string;
  userOid?: string;
  expiresInHours?: number;
}

export class DeviceCommandService {
  private readonly store: Store;
  private readonly providerId: string;
  private readonly queued?: (cmd: CommandRecord) => void;
  constructor(
    store: Store,
    providerId: string,
    /** Told of every queued command once it is queued and audited (push wakes the device for urgent ones). */
    queued?: (cmd: CommandRecord) => void,
  ) {
    this.store = store;
    this.providerId = providerId;
    this.queued = queued;
  }

  private async device(id: string) {
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    return d;
  }

  async queue(deviceId: string, input: QueueInput, actor: string) {
    const d = await this.device(deviceId);
    if (d.state !== 'enrolled') throw new ApiError(409, 'conflict', 'the device is not enrolled');
    const at = new Date().toISOString();
    let payload;
    if (input.action !== undefined) {
      if (input.verb !== undefined) throw new ApiError(400, 'invalid', 'give either an action or a verb, not both', '/action');
      if (Object.hasOwn(REFUSED_ACTIONS, input.action)) throw new ApiError(400, 'invalid', REFUSED_ACTIONS[input.action], '/action');
      if (!ACTIONS.includes(input.action as ActionName)) throw new ApiError(400, 'invalid', `action must be one of ${ACTIONS.join(', ')}`, '/action');
      payload = actionPayload(input.action as ActionName, this.providerId, d.tenantId);
    } else {
      payload = payloadFromInput(input as RawCommandInput);
    }
    const expiresAt = input.expiresInHours ? new Date(Date.now() + input.expiresInHours * 3600_000).toISOString() : undefined;
    const cmd = newCommand(d.id, payload, { origin: 'admin', action: input.action, userOid: input.userOid, at, expiresAt });
    await this.store.commands.enqueue(cmd);
    await this.store.audit.append({
      at,
      actor,
      action: input.action ? `device.${input.action}` : 'device.command',
      targetType: 'device',
      targetId: d.id,
      detail: { command: cmd.id, verb: payload.kind },
    });
    this.queued?.(cmd);
    return cmd;
  }

  async list(deviceId: string, limit: number, offset: number) {
    const d = await this.device(deviceId);
    // Profile commands keep their secrets sealed in the queue; an admin sees "(secret)".
    const view = (c: CommandRecord): CommandRecord => ({ ...c, payload: redactPayload(c.payload) });
    return { commands: (await this.store.commands.listForDevice(d.id, { limit, offset })).map(view) };
  }

  async cancel(deviceId: string, commandId: string, actor: string) {
    const d = await this.device(deviceId);
    const c = await this.store.commands.get(commandId);
    if (!c || c.devicePk !== d.id) throw notFound('command');
    if (c.batch) throw new ApiError(409, 'conflict', 'this command delivers a profile: change or unassign the profile instead');
    const at = new Date().toISOString();
    if (!(await this.store.commands.cancel(commandId, at))) {
      throw new ApiError(409, 'conflict', `the command is ${c.state} and can no longer be cancelled`);
    }
    await this.store.audit.append({ at, actor, action: 'device.command.cancel', targetType: 'device', targetId: d.id, detail: { command: commandId } });
  }

  async traces(deviceId: string, limit: number, sessionId?: string) {
    const d = await this.device(deviceId);
    return { messages: await this.store.traces.list(d.id, { limit, sessionId }) };
  }
}
