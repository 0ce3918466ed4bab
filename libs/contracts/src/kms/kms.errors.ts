import { defineErrors } from '../common/error-spec';

/**
 * Key Protect reason codes with their statuses (shared/docs/KEY-PROTECT-API.md §1). Messages are the
 * reason's `message`; the HTTP layer builds Key Protect's `errorMsg` around them.
 */
export const KMS_ERRORS = defineErrors({
  /** Bluemix-Instance missing or not a GUID (KEY-PROTECT-API.md §10). */
  BAD_HEADER_ERR: { status: 400, message: 'The Bluemix-Instance header is missing or not valid' },
  COLLECTION_TOTAL_MISMATCH_ERR: { status: 400, message: 'The collection total does not match the number of resources' },
  BODY_QUERY_PARAM_MISMATCH_ERR: { status: 400, message: 'The body does not match the query parameters' },
  NUM_COLLECTION_RESOURCE_ERR: { status: 400, message: 'The number of resources in the collection is not valid' },
  KEY_ROOT_REQ_ERR: { status: 400, message: 'The requested action can only be completed with a root key' },
  KEY_PAYLOAD_REQ_ERR: { status: 400, message: 'A payload is required to rotate an imported root key' },
  KEY_RESTORE_EXPIRED: { status: 400, message: 'The key can no longer be restored' },
  KEY_EXPIRED_ERR: { status: 400, message: 'The key has expired' },
  INCORRECT_NONCE_ERR: { status: 400, message: 'The encrypted nonce does not match the import token nonce' },
  INCORRECT_NONCE_IV_ERR: { status: 400, message: 'The nonce or IV is not valid' },
  SERVICE_ONLY_ERR: { status: 403, message: 'This action can only be performed by a service' },
  RESOURCE_OWNER_ERR: { status: 403, message: 'The caller does not own this registration' },
  FEATURE_RESTRICTED_ERR: { status: 403, message: 'This feature is restricted for the instance' },
  CONFIG_RULE_CONFLICT_ERR: { status: 403, message: 'The request conflicts with an instance rule' },
  KEY_NOT_FOUND_ERR: { status: 404, message: 'Key does not exist' },
  /** Keyward's choice (the sources are silent): GET /import_token, or a secure import, before any POST /import_token. */
  IMPORT_TOKEN_NOT_FOUND_ERR: { status: 404, message: 'The instance has no import token: create one with POST /import_token' },
  /** X-Kms-Key-Ring, a PATCH target or a /key_rings path names a ring the instance does not have. */
  KEY_RING_NOT_FOUND_ERR: { status: 404, message: 'Key ring does not exist' },
  /** DELETE /keys/{id}/aliases/{alias} for an alias the key does not have. */
  KEY_ALIAS_NOT_FOUND_ERR: { status: 404, message: 'The key has no such alias' },
  /** Keyward's own (KEY-PROTECT-API.md §5 names no code): no registration of this resource with this key. */
  REGISTRATION_NOT_FOUND_ERR: { status: 404, message: 'Registration does not exist' },
  /** Keyward's own: `event_ack` for an event the KMS never sent to this resource. */
  EVENT_NOT_FOUND_ERR: { status: 404, message: 'Event does not exist for this resource' },
  /** Keyward's own: the acknowledgement came after the window (KEYWARD_KMS_EVENT_ACK_TIMEOUT_MS, 4 h). */
  EVENT_ACK_TIMEOUT_ERR: { status: 408, message: 'The event was not acknowledged in time' },
  KEY_ACTION_INVALID_STATE_ERR: { status: 409, message: 'Key is not in a state that allows this action' },
  AUTHORIZATIONS_NOT_MET: { status: 409, message: 'Prior authorizations are required for this action' },
  NOT_DUAL_AUTH_ERR: { status: 409, message: 'The key is not protected by dual authorization' },
  PROTECTED_RESOURCE_ERR: { status: 409, message: 'The key is protected by a registration that prevents deletion' },
  PREV_KEY_DEL_ERR: { status: 409, message: 'The key has a registration that prevents its deletion' },
  /** Keyward's own: POST of a registration that exists (PUT replaces, PATCH updates). */
  REGISTRATION_EXISTS_ERR: { status: 409, message: 'The resource is already registered with this key' },
  KEY_ROTATION_NOT_PERMITTED: { status: 409, message: 'The key was rotated within the last hour' },
  REQ_TOO_EARLY_ERR: { status: 409, message: 'The key was changed less than 30 seconds ago: retry later' },
  IMPORT_TOKEN_EXPIRED_ERR: { status: 409, message: 'The import token has expired or has no retrievals left' },
  /** Key rings and aliases (KEY-PROTECT-API.md §2; Keyward's choices in docs/KMS.md). */
  KEY_RING_EXISTS_ERR: { status: 409, message: 'A key ring with this id already exists' },
  KEY_RING_QUOTA_ERR: { status: 409, message: 'The instance already has the maximum of 50 key rings' },
  KEY_RING_KEYS_NOT_DELETED_ERR: { status: 409, message: 'The key ring holds keys that are not deleted' },
  KEY_RING_NOT_EMPTY_ERR: { status: 409, message: 'The key ring holds deleted keys: delete it with force=true to move them to the default key ring' },
  KEY_ALIAS_NOT_UNIQUE_ERR: { status: 409, message: 'The alias is already in use in this instance' },
  KEY_ALIAS_QUOTA_ERR: { status: 409, message: 'A key may have at most 5 aliases and an instance at most 1,000' },
  KEY_CREATE_IMPORT_ACCESS_ERR: { status: 409, message: 'The instance policy does not allow this key creation or import' },
  /** The key's HSM domain is sealed (no replica holds it unsealed). Deterministic until unsealed: 409. */
  DOMAIN_SEALED_ERR: { status: 409, message: 'The HSM domain of this key is sealed' },
  KEY_DELETED_ERR: { status: 410, message: 'The key has already been deleted' },
  UNPROCESSABLE_CIPHERTEXT_ERR: { status: 422, message: 'The provided ciphertext is invalid or corrupted' },
  KEY_INVALID_STATE_ERR: { status: 422, message: 'The key is not in a valid state for this action' },
  KEY_ROOT_REQ_REG_ERR: { status: 422, message: 'Registrations can only be made with root keys' },
  KEY_VERSION_INVALID: { status: 422, message: 'The key version is not valid' },
  INCOMPLETE_METADATA_ERR: { status: 500, message: 'The key metadata is incomplete' },
});
