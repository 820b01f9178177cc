// GET/PUT/DELETE /api/v1/settings/push: the WNS settings an admin manages through the API. The
// client secret is write-only (sealed at rest; the API says whether one is set and its
// fingerprint). The FENESTRA_WNS_PFN… variables win when set: the API then shows them and refuses changes (409),
// so what runs is always what the deployment's environment says when it says anything.
import type { Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { ApiError, notFound } from '../errors.js';
import type { PushHolder, PushSource } from './holder.js';
import { checkPushSettings, parseStored, secretFingerprint, type PushSettingsInput, type StoredPushSettings } from './settings.js';

export interface PushSettingsView {
  /** env: the FENESTRA_WNS_PFN… variables (read-only here); api: set through this API; none: push is off. */
  source: PushSource;
  configured: boolean;
  pfn?: string;
  clientId?: string;
  clientSecretSet: boolean;
  clientSecretFingerprint?: string;
  tokenUrl?: string;
  channelHosts?: string[];
  updatedAt?: string;
}

const ENV_VARS = 'FENESTRA_WNS_PFN, FENESTRA_WNS_CLIENT_ID and FENESTRA_WNS_CLIENT_SECRET';

export class PushSettingsAdmin {
  private readonly store: Store;
  private readonly holder: PushHolder;
  private readonly opts: { production: boolean; sealKey: Buffer };
  constructor(store: Store, holder: PushHolder, opts: { production: boolean; sealKey: Buffer }) {
    this.store = store;
    this.holder = holder;
    this.opts = opts;
  }

  private async stored(): Promise<{ settings: StoredPushSettings; updatedAt: string } | undefined> {
    const row = await this.store.push.settings();
    return row ? { settings: parseStored(row.value), updatedAt: row.updatedAt } : undefined;
  }

  private refuseIfEnv(): void {
    if (this.holder.source === 'env') {
      throw new ApiError(
        409,
        'configured_by_env',
        `push is configured by the environment (${ENV_VARS}), which wins over the API: unset them and restart to manage push here`,
      );
    }
  }

  async get(): Promise<PushSettingsView> {
    const env = this.holder.envSettings;
    if (env) {
      const { pfn, clientId, tokenUrl, channelHosts } = env;
      return {
        source: 'env',
        configured: true,
        pfn,
        clientId,
        clientSecretSet: true,
        clientSecretFingerprint: secretFingerprint(env.clientSecret),
        tokenUrl,
        channelHosts,
      };
    }
    const s = await this.stored();
    if (!s) return { source: 'none', configured: false, clientSecretSet: false };
    const { pfn, clientId, secretFingerprint: fp, tokenUrl, channelHosts } = s.settings;
    return {
      source: 'api',
      configured: true,
      pfn,
      clientId,
      clientSecretSet: true,
      clientSecretFingerprint: fp || undefined,
      tokenUrl,
      channelHosts,
      updatedAt: s.updatedAt,
    };
  }

  async set(input: PushSettingsInput, actor: string): Promise<PushSettingsView> {
    this.refuseIfEnv();
    const before = await this.stored();
    const next = checkPushSettings(input, { ...this.opts, stored: before?.settings });
    const { pfn, clientId, tokenUrl, channelHosts } = next;
    const detail = { pfn, clientId, tokenUrl, channelHosts, clientSecretChanged: next.secretFingerprint !== before?.settings.secretFingerprint };
    const at = new Date().toISOString();
    await this.store.push.setSettings(JSON.stringify(next), at, auditEntry(actor, 'settings.push.set', 'settings', 'push', detail));
    await this.holder.reload();
    return this.get();
  }

  async remove(actor: string): Promise<void> {
    this.refuseIfEnv();
    if (!(await this.store.push.setSettings(undefined, new Date().toISOString(), auditEntry(actor, 'settings.push.delete', 'settings', 'push')))) {
      throw notFound('push settings');
    }
    await this.holder.reload();
  }
}
