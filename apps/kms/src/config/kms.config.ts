import { KEYWARD_APPS } from '@keyward/contracts';
import { type Env, envFields, loadServiceConfig } from '@keyward/platform';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The private endpoint's default port: next to the public 8102 block, clear of the other apps. */
export const KMS_PRIVATE_PORT = 8112;

/**
 * The KMS's environment. Every Key Protect time window is a named setting (DESIGN.md "Time"),
 * defaulting to Key Protect's value, so tests shorten windows instead of sleeping.
 */
export function loadKmsConfig(env: Env) {
  const { service, own } = loadServiceConfig('kms', env, {
    KEYWARD_IAM_URL: envFields.url(['http', 'https'], `http://127.0.0.1:${KEYWARD_APPS.iam.port}`),
    KEYWARD_KMS_ENABLE_WAIT_MS: envFields.positiveInt(30_000),
    KEYWARD_KMS_RESTORE_WAIT_MS: envFields.positiveInt(30_000),
    KEYWARD_KMS_ROTATION_INTERVAL_MS: envFields.positiveInt(HOUR),
    KEYWARD_KMS_PURGE_WAIT_MS: envFields.positiveInt(4 * HOUR),
    KEYWARD_KMS_RESTORE_WINDOW_MS: envFields.positiveInt(30 * DAY),
    KEYWARD_KMS_AUTO_PURGE_MS: envFields.positiveInt(90 * DAY),
    KEYWARD_KMS_SCHEDULER_INTERVAL_MS: envFields.positiveInt(MINUTE),
    KEYWARD_KMS_AUDIT_FLUSH_MS: envFields.positiveInt(200),
    KEYWARD_KMS_DUAL_AUTH_EXPIRY_MS: envFields.positiveInt(7 * DAY),
    KEYWARD_KMS_PRIVATE_PORT: envFields.port(KMS_PRIVATE_PORT),
    KEYWARD_KMS_EVENT_ACK_TIMEOUT_MS: envFields.positiveInt(4 * HOUR),
    KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS: envFields.positiveInt(500),
    KEYWARD_KMS_HOT_CACHE_MS: envFields.positiveInt(1000),
  });
  const kms: KmsSettings = {
    iamUrl: own.KEYWARD_IAM_URL,
    windows: {
      enableWaitMs: own.KEYWARD_KMS_ENABLE_WAIT_MS,
      restoreWaitMs: own.KEYWARD_KMS_RESTORE_WAIT_MS,
      rotationIntervalMs: own.KEYWARD_KMS_ROTATION_INTERVAL_MS,
      purgeWaitMs: own.KEYWARD_KMS_PURGE_WAIT_MS,
      restoreWindowMs: own.KEYWARD_KMS_RESTORE_WINDOW_MS,
      autoPurgeMs: own.KEYWARD_KMS_AUTO_PURGE_MS,
      dualAuthExpiryMs: own.KEYWARD_KMS_DUAL_AUTH_EXPIRY_MS,
    },
    privatePort: own.KEYWARD_KMS_PRIVATE_PORT,
    schedulerIntervalMs: own.KEYWARD_KMS_SCHEDULER_INTERVAL_MS,
    auditFlushMs: own.KEYWARD_KMS_AUDIT_FLUSH_MS,
    events: { ackTimeoutMs: own.KEYWARD_KMS_EVENT_ACK_TIMEOUT_MS, relayIntervalMs: own.KEYWARD_KMS_EVENT_RELAY_INTERVAL_MS },
    hotCacheMs: own.KEYWARD_KMS_HOT_CACHE_MS,
  };
  return { service, kms };
}

export interface KmsWindows {
  /** disable → enable (REQ_TOO_EARLY_ERR before). */
  enableWaitMs: number;
  /** delete → restore (REQ_TOO_EARLY_ERR before). */
  restoreWaitMs: number;
  /** At most one rotation per interval (KEY_ROTATION_NOT_PERMITTED). */
  rotationIntervalMs: number;
  /** delete → purge allowed. */
  purgeWaitMs: number;
  /** delete → restore no longer allowed (KEY_RESTORE_EXPIRED). */
  restoreWindowMs: number;
  /** delete → purged by the scheduler. */
  autoPurgeMs: number;
  /** setKeyForDeletion → no longer counts for a dual-authorization delete. */
  dualAuthExpiryMs: number;
}

export interface KmsSettings {
  iamUrl: string;
  windows: KmsWindows;
  /** The private endpoint's port (`allowedNetwork: private-only`, `GET /instance/allowed_ip_port`). */
  privatePort: number;
  schedulerIntervalMs: number;
  auditFlushMs: number;
  events: KmsEventSettings;
  /**
   * How long a replica trusts what the wrap path reads (key metadata, instance policies) without
   * reading Postgres again. Changes through this replica apply at once; through another, within this.
   */
  hotCacheMs: number;
}

export interface KmsEventSettings {
  /** A registered service acknowledges an event within this time, or the ack answers 408 (Key Protect: 4 h). */
  ackTimeoutMs: number;
  /** How often each replica's relay looks for unpublished outbox rows. */
  relayIntervalMs: number;
}

export const KMS_SETTINGS = Symbol('KMS_SETTINGS');
