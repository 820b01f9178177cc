// On-premises enrollment accounts (username + password typed in Settings > Access work or school).
import { hashPassword } from '../identity/passwords.js';
import type { Store } from '../store/types.js';
import { ApiError, invalid, notFound } from './errors.js';

export class EnrollmentAccountService {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  list() {
    return this.store.enrollmentAccounts.list();
  }

  async create(username: string, password: string, actor: string): Promise<{ username: string; createdAt: string }> {
    const u = username.trim();
    if (!u || u.length > 256 || /[\s<>&"']/.test(u)) throw invalid('/username', 'must be 1-256 characters without spaces or <>&"\'');
    if (password.length < 8 || password.length > 1024) throw invalid('/password', 'must be 8-1024 characters');
    const createdAt = new Date().toISOString();
    const passwordHash = await hashPassword(password);
    const ok = await this.store.enrollmentAccounts.create(
      { username: u, passwordHash, createdAt },
      { at: createdAt, actor, action: 'enrollment-account.create', targetType: 'enrollment-account', targetId: u },
    );
    if (!ok) throw new ApiError(409, 'conflict', 'an enrollment account with this username exists');
    return { username: u, createdAt };
  }

  async remove(username: string, actor: string): Promise<void> {
    const ok = await this.store.enrollmentAccounts.delete(username, {
      at: new Date().toISOString(),
      actor,
      action: 'enrollment-account.delete',
      targetType: 'enrollment-account',
      targetId: username,
    });
    if (!ok) throw notFound('enrollment account');
  }
}
