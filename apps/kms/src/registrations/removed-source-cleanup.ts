import type { RemovedSourceRule } from '@keyward/platform';
import { resourceCrnParam } from './registration-input';

/**
 * What a removed source instance may still do in the KMS: the service that owned it (the CRN's
 * service is the caller's own name — a dependent acting for it is not enough) deletes the
 * registration of exactly that CRN. That is the one cleanup a deleted instance needs (docs/KMS.md
 * "Removed source instances"); every other call naming it stays a 401.
 */
export const unregisterOwnRemovedInstance: RemovedSourceRule = (request, caller, removed) => {
  if (!caller.principal.serviceName || caller.principal.serviceName !== removed.service) return false;
  const raw = (request.params as { urlEncodedResourceCRN?: unknown } | undefined)?.urlEncodedResourceCRN;
  if (typeof raw !== 'string') return false;
  try {
    return resourceCrnParam(raw).crn === removed.crn;
  } catch {
    return false;
  }
};
