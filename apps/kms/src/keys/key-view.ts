import type { KmsInstance } from '../instances/instance.repository';
import { dualAuthView } from '../dual-auth/dual-auth-view';
import type { KeyRow } from './keys.repository';

export const KEY_TYPE = 'application/vnd.ibm.kms.key+json';
export const KEY_VERSION_TYPE = 'application/vnd.ibm.kms.key.version+json';

/** Key Protect states (KEY-PROTECT-API.md §4). */
export const KEY_STATE = { preActivation: 0, active: 1, suspended: 2, deactivated: 3, destroyed: 5 } as const;

/** RFC 3339 as Key Protect writes it: `2020-03-12T03:37:32Z`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `crn:v1:…:<instance>::` → `crn:v1:…:<instance>:key:<id>`. */
export function keyCrn(instance: KmsInstance, keyId: string): string {
  const base = instance.crn.endsWith('::') ? instance.crn.slice(0, -1) : `${instance.crn}:`;
  return `${base}key:${keyId}`;
}

/** An active key past its expiration date is deactivated, even before the scheduler records it. */
export function effectiveState(key: Pick<KeyRow, 'state' | 'expirationDate'>, now: Date): number {
  if (key.state === KEY_STATE.active && key.expirationDate && key.expirationDate.getTime() <= now.getTime()) return KEY_STATE.deactivated;
  return key.state;
}

export interface KeyWindows {
  restoreWaitMs: number;
  restoreWindowMs: number;
  purgeWaitMs: number;
  autoPurgeMs: number;
}

/** The key resource of §3 (never the payload: callers add it for standard keys when allowed). */
export function keyView(key: KeyRow, instance: KmsInstance, now: Date, windows: KeyWindows): Record<string, unknown> {
  const state = effectiveState(key, now);
  const latest = key.versions.find((v) => v.version === key.currentVersion) ?? key.versions[0];
  const view: Record<string, unknown> = {
    type: KEY_TYPE,
    id: key.id,
    name: key.name,
    aliases: key.aliases?.map((a) => a.alias) ?? [],
    description: key.description ?? undefined,
    tags: key.tags,
    keyRingID: key.keyRingId,
    state,
    ...(key.nonactiveStateReason !== null ? { nonactiveStateReason: key.nonactiveStateReason } : {}),
    ...(key.expirationDate ? { expirationDate: rfc3339(key.expirationDate) } : {}),
    extractable: key.extractable,
    imported: key.imported,
    crn: keyCrn(instance, key.id),
    creationDate: rfc3339(key.creationDate),
    createdBy: key.createdBy,
    lastUpdateDate: rfc3339(key.lastUpdateDate),
    ...(key.lastRotateDate ? { lastRotateDate: rfc3339(key.lastRotateDate) } : {}),
    algorithmType: 'AES',
    algorithmMetadata: { bitLength: String(key.bits), mode: key.extractable ? 'CBC_PAD' : 'GCM' },
    algorithmBitSize: key.bits,
    algorithmMode: key.extractable ? 'CBC_PAD' : 'GCM',
    ...(latest ? { keyVersion: { id: latest.id, creationDate: rfc3339(latest.creationDate) } } : {}),
    dualAuthDelete: dualAuthView(key, instance, now),
    deleted: state === KEY_STATE.destroyed,
  };
  if (state === KEY_STATE.destroyed && key.deletionDate) {
    const deleted = key.deletionDate.getTime();
    const restoreUntil = new Date(deleted + windows.restoreWindowMs);
    const purgeFrom = new Date(deleted + windows.purgeWaitMs);
    Object.assign(view, {
      deletionDate: rfc3339(key.deletionDate),
      deletedBy: key.deletedBy ?? undefined,
      restoreExpirationDate: rfc3339(restoreUntil),
      restoreAllowed: now < restoreUntil && now.getTime() >= deleted + windows.restoreWaitMs && effectiveStateBeforeDelete(key, now),
      purgeAllowed: now >= purgeFrom,
      purgeAllowedFrom: rfc3339(purgeFrom),
      purgeScheduledOn: rfc3339(new Date(deleted + windows.autoPurgeMs)),
    });
  }
  return view;
}

function effectiveStateBeforeDelete(key: KeyRow, now: Date): boolean {
  return !(key.expirationDate && key.expirationDate.getTime() <= now.getTime());
}

export function collection(type: string, resources: unknown[], extra: Record<string, unknown> = {}) {
  return { metadata: { collectionType: type, collectionTotal: resources.length, ...extra }, resources };
}
