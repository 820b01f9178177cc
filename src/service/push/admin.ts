// POST /api/v1/devices/:id/push: wake a device by hand. Answers once the push is under way
// (never waits on WNS), audited; 409 when push is not configured or the device has no usable
// channel, saying which.
import type { Store } from '../../store/types.js';
import { ApiError, notFound } from '../errors.js';
import type { PushHolder } from './holder.js';

export class PushAdmin {
  private readonly store: Store;
  private readonly holder: PushHolder;
  constructor(store: Store, holder: PushHolder) {
    this.store = store;
    this.holder = holder;
  }

  async wake(id: string, actor: string) {
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    const push = await this.holder.current();
    if (!push) {
      throw new ApiError(
        409,
        'push_not_configured',
        'push is not configured: PUT /api/v1/settings/push, or set FENESTRA_WNS_PFN, FENESTRA_WNS_CLIENT_ID and FENESTRA_WNS_CLIENT_SECRET',
      );
    }
    if (d.state !== 'enrolled') throw new ApiError(409, 'conflict', 'the device is not enrolled');
    const why = push.unusable(await this.store.push.get(d.id));
    if (why) throw new ApiError(409, 'no_push_channel', why);
    const at = new Date().toISOString();
    await this.store.audit.append({ at, actor, action: 'device.push', targetType: 'device', targetId: d.id });
    push.wake(d.id, 'admin');
    return { id: d.id, deviceId: d.deviceId, push: 'started' as const, at };
  }
}
