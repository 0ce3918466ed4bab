/** `events.kms.key.<type>.v1` (stream KMS_EVENTS): key state changes, kms → consumers. */
export const KMS_KEY_EVENT_TYPES = ['rotated', 'disabled', 'enabled', 'deleted', 'restored', 'purged', 'expired'] as const;
export type KmsKeyEventType = (typeof KMS_KEY_EVENT_TYPES)[number];

export const KMS_EVENT_SUBJECTS = {
  key: (type: KmsKeyEventType) => `events.kms.key.${type}.v1`,
  allKeys: 'events.kms.key.>',
} as const;
