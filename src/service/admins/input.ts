// Checks of what an administrator types: user names, display names, passwords, roles, token names.
// Each refusal is a 400 naming its field.
import { ADMIN_ROLES, type AdminRole } from '../../domain/admin.js';
import { invalid } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** Letters, digits and . _ @ + - (an e-mail address or UPN fits), 1 to 128 characters. */
const USERNAME = /^[\p{L}\p{N}._@+-]{1,128}$/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkUsername(username: unknown, field = '/username'): string {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw invalid(field, 'user name: 1 to 128 letters, digits and . _ @ + - (no spaces)');
  }
  return username;
}

export function checkDisplayName(name: unknown, field = '/displayName'): string | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  if (typeof name !== 'string' || name.length > 128 || CONTROL.test(name) || name.trim() === '') {
    throw invalid(field, 'display name: at most 128 characters, no control characters');
  }
  return name.trim();
}

export function checkPassword(password: unknown, field = '/password'): string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) {
    throw invalid(field, `password: at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw invalid(field, `password: at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

export function checkRole(role: unknown, field = '/role'): AdminRole {
  if (typeof role !== 'string' || !(ADMIN_ROLES as readonly string[]).includes(role)) {
    throw invalid(field, `role: one of ${ADMIN_ROLES.join(', ')}`);
  }
  return role as AdminRole;
}

export function checkTokenName(name: unknown, field = '/name'): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 64 || CONTROL.test(name)) {
    throw invalid(field, 'token name: 1 to 64 characters, no control characters');
  }
  return name.trim();
}
