import { DomainError } from '@keyward/contracts';
import type { KmsInstance } from '../instances/instance.repository';

/**
 * keyCreateImportAccess (KEY-PROTECT-API.md §3): which kinds of key may be created or imported in the
 * instance, and whether imports must use an import token. Refused → 409 KEY_CREATE_IMPORT_ACCESS_ERR.
 */
export function requireCreateImportAccess(instance: Pick<KmsInstance, 'policies'>, request: { kind: 'root' | 'standard'; imported: boolean; withToken: boolean }): void {
  const access = instance.policies?.createImportAccess;
  if (!access) return;
  const allowed = request.imported
    ? request.kind === 'root'
      ? access.import_root_key
      : access.import_standard_key
    : request.kind === 'root'
      ? access.create_root_key
      : access.create_standard_key;
  if (!allowed) {
    throw new DomainError('KEY_CREATE_IMPORT_ACCESS_ERR', `The instance policy does not allow ${request.imported ? 'importing' : 'creating'} ${request.kind} keys`);
  }
  if (request.imported && access.enforce_token && !request.withToken) {
    throw new DomainError('KEY_CREATE_IMPORT_ACCESS_ERR', 'The instance policy requires imports to use an import token');
  }
}
