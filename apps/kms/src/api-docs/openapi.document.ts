/**
 * The Key Protect–compatible OpenAPI document of the KMS (served at GET /api/docs). Checked in as code
 * so it is built from one route table that a test compares with the routes the app really serves.
 */
import { REGISTRATION_EVENT_PARAMETERS, REGISTRATION_EVENT_ROUTES, REGISTRATION_EVENT_SCHEMAS } from './registrations-events.openapi';

type Op = {
  method: 'get' | 'post' | 'put' | 'delete' | 'head' | 'patch';
  path: string;
  id: string;
  summary: string;
  action?: string;
  body?: string;
  ok: Record<string, string>;
  errors: readonly string[];
  query?: readonly string[];
  headers?: readonly string[];
};

const KEY_ERRORS = ['400', '401', '404', '409', '422'];

export const KMS_ROUTES: Op[] = [
  { method: 'post', path: '/api/v2/keys', id: 'createKey', summary: 'Create or import a key (root or standard)', action: 'kms.secrets.create | kms.secrets.import', body: 'KeyCreateRequest', ok: { '201': 'KeyCollection' }, errors: ['400', '401', '409'], headers: ['Prefer', 'X-Kms-Key-Ring'] },
  { method: 'get', path: '/api/v2/keys', id: 'getKeys', summary: 'List keys (states 0–3 unless `state` says otherwise)', action: 'kms.secrets.list', ok: { '200': 'KeyCollection' }, errors: ['400', '401'], query: ['limit', 'offset', 'state', 'extractable', 'search', 'sort', 'filter', 'totalCount'] },
  { method: 'head', path: '/api/v2/keys', id: 'getKeyCollectionMetadata', summary: 'Count keys: header Key-Total', action: 'kms.secrets.head', ok: { '200': '' }, errors: ['400', '401'], query: ['state', 'extractable'] },
  { method: 'get', path: '/api/v2/keys/{id}', id: 'getKey', summary: 'A key; `payload` only for active standard keys and ReaderPlus or above', action: 'kms.secrets.readmetadata (+ kms.secrets.read)', ok: { '200': 'KeyCollection' }, errors: ['401', '404'] },
  { method: 'get', path: '/api/v2/keys/{id}/metadata', id: 'getKeyMetadata', summary: 'A key without its payload', action: 'kms.secrets.readmetadata', ok: { '200': 'KeyCollection' }, errors: ['401', '404'] },
  { method: 'get', path: '/api/v2/keys/{id}/versions', id: 'getKeyVersions', summary: 'Versions, newest first (non-active keys need allKeyStates=true)', action: 'kms.secrets.listversions', ok: { '200': 'KeyVersionCollection' }, errors: ['400', '401', '404', '409'], query: ['limit', 'offset', 'totalCount', 'allKeyStates'] },
  { method: 'delete', path: '/api/v2/keys/{id}', id: 'deleteKey', summary: 'Delete (state 5): 204, or 200 with Prefer: return=representation; 410 when already deleted', action: 'kms.secrets.delete', ok: { '200': 'KeyCollection', '204': '' }, errors: ['401', '404', '409', '410'], headers: ['Prefer'], query: ['force'] },
  { method: 'delete', path: '/api/v2/keys/{id}/purge', id: 'purgeKey', summary: 'Purge a deleted key (KeyPurge role; 4 h after the delete)', action: 'kms.secrets.purge', ok: { '200': 'KeyCollection', '204': '' }, errors: ['401', '404', '409'], headers: ['Prefer'] },
  { method: 'post', path: '/api/v2/keys/{id}/restore', id: 'restoreKey', summary: 'Restore a deleted key (30 s to 30 days after the delete)', action: 'kms.secrets.restore', ok: { '201': 'KeyCollection' }, errors: ['400', '401', '404', '409'] },
  { method: 'post', path: '/api/v2/keys/{id}/actions/wrap', id: 'wrapKey', summary: 'Wrap a DEK (or generate a 32-byte one)', action: 'kms.secrets.wrap', body: 'WrapRequest', ok: { '200': 'WrapResponse' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/unwrap', id: 'unwrapKey', summary: 'Unwrap a DEK (any version; rewrapped ciphertext when a newer version exists)', action: 'kms.secrets.unwrap', body: 'UnwrapRequest', ok: { '200': 'UnwrapResponse' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/rewrap', id: 'rewrapKey', summary: 'Re-encrypt a wrapped DEK with the newest version (keyVersion: the given ciphertext’s; rewrappedKeyVersion: the new one’s)', action: 'kms.secrets.rewrap', body: 'UnwrapRequest', ok: { '200': 'RewrapResponse' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/wrap_batch', id: 'wrapKeyBatch', summary: 'Keyward: wrap up to 1,000 DEKs, results in request order', action: 'kms.secrets.wrap', body: 'WrapBatchRequest', ok: { '200': 'BatchResponse' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/unwrap_batch', id: 'unwrapKeyBatch', summary: 'Keyward: unwrap up to 1,000 DEKs, results in request order', action: 'kms.secrets.unwrap', body: 'UnwrapBatchRequest', ok: { '200': 'BatchResponse' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/rotate', id: 'rotateKey', summary: 'Rotate a root key (empty body; `payload` for imported keys); once per hour', action: 'kms.secrets.rotate', body: 'RotateRequest', ok: { '204': '' }, errors: KEY_ERRORS },
  { method: 'post', path: '/api/v2/keys/{id}/actions/disable', id: 'disableKey', summary: 'Disable (state 2)', action: 'kms.secrets.disable', ok: { '204': '' }, errors: ['400', '401', '404', '409'] },
  { method: 'post', path: '/api/v2/keys/{id}/actions/enable', id: 'enableKey', summary: 'Enable (state 1), 30 s or more after the disable', action: 'kms.secrets.enable', ok: { '204': '' }, errors: ['400', '401', '404', '409'] },
  { method: 'post', path: '/api/v2/keys/{id}/actions/setKeyForDeletion', id: 'setKeyForDeletion', summary: 'First authorization of a dual-authorization delete (counts 7 days; the delete must come from another user)', action: 'kms.secrets.setkeyfordeletion', ok: { '204': '' }, errors: ['400', '401', '404', '409'] },
  { method: 'post', path: '/api/v2/keys/{id}/actions/unsetKeyForDeletion', id: 'unsetKeyForDeletion', summary: 'Withdraw a pending setKeyForDeletion', action: 'kms.secrets.unsetkeyfordeletion', ok: { '204': '' }, errors: ['400', '401', '404', '409'] },
  { method: 'get', path: '/api/v2/keys/{id}/policies', id: 'getPolicy', summary: 'Key policies (rotation, dualAuthDelete); no `resources` when none is set', action: 'kms.policies.read', ok: { '200': 'PolicyCollection' }, errors: ['400', '401', '404'], query: ['keyPolicy'] },
  { method: 'put', path: '/api/v2/keys/{id}/policies', id: 'putPolicy', summary: 'Set key policies: rotation (interval_month 1–12) and/or dualAuthDelete (cannot be turned off)', action: 'kms.policies.write', body: 'PolicyRequest', ok: { '200': 'PolicyCollection' }, errors: ['400', '401', '404', '409'], query: ['keyPolicy'] },
  { method: 'get', path: '/api/v2/instance/policies', id: 'getInstancePolicy', summary: 'The instance policies that were set', action: 'kms.instancepolicies.read', ok: { '200': 'InstancePolicyCollection' }, errors: ['400', '401'], query: ['instancePolicy'] },
  { method: 'put', path: '/api/v2/instance/policies', id: 'putInstancePolicy', summary: 'Set instance policies (all or none written)', action: 'kms.instancepolicies.write', body: 'InstancePolicyCollection', ok: { '204': '' }, errors: ['400', '401'], query: ['instancePolicy'] },
  { method: 'get', path: '/api/v2/instance/allowed_ip_port', id: 'getAllowedIpPort', summary: 'The private endpoint port while an allowedIP policy is enabled', action: 'kms.instancepolicies.read', ok: { '200': 'AllowedIpPortCollection' }, errors: ['401'] },
  { method: 'patch', path: '/api/v2/keys/{id}', id: 'patchKey', summary: 'Move a key to another key ring (`keyRingID`; the Go client’s `KeyRingID` too)', action: 'kms.secrets.patch (on the key and on the target ring)', body: 'KeyPatchRequest', ok: { '200': 'KeyCollection' }, errors: ['400', '401', '404'] },
  { method: 'post', path: '/api/v2/keys/{id}/aliases/{alias}', id: 'createKeyAlias', summary: 'Add an alias (≤ 5 per key, ≤ 1,000 per instance, unique in the instance)', action: 'kms.secrets.createalias', ok: { '201': 'KeyAliasCollection' }, errors: ['400', '401', '404', '409'] },
  { method: 'delete', path: '/api/v2/keys/{id}/aliases/{alias}', id: 'deleteKeyAlias', summary: 'Remove an alias (the key stays): 204, no body', action: 'kms.secrets.deletealias', ok: { '204': '' }, errors: ['401', '404'] },
  { method: 'get', path: '/api/v2/key_rings', id: 'listKeyRings', summary: 'Key rings: `default` first, then by creation', action: 'kms.keyrings.list', ok: { '200': 'KeyRingCollection' }, errors: ['400', '401'], query: ['limit', 'offset', 'totalCount'] },
  { method: 'post', path: '/api/v2/key_rings/{keyRingId}', id: 'createKeyRing', summary: 'Create a key ring (≤ 50 per instance, `default` included): 201, no body', action: 'kms.keyrings.create', ok: { '201': '' }, errors: ['400', '401', '409'] },
  { method: 'delete', path: '/api/v2/key_rings/{keyRingId}', id: 'deleteKeyRing', summary: 'Delete a key ring holding no keys but destroyed ones (`force=true` moves those to `default`): 204', action: 'kms.keyrings.delete', ok: { '204': '' }, errors: ['400', '401', '404', '409'], query: ['force'] },
  { method: 'post', path: '/api/v2/keys/{id}', id: 'actionOnKey', summary: 'Legacy form: ?action=wrap|unwrap|rewrap|rotate|disable|enable', ok: { '200': 'WrapResponse', '204': '' }, errors: KEY_ERRORS, query: ['action'] },
  { method: 'post', path: '/api/v2/import_token', id: 'postImportToken', summary: 'Create the instance’s import token (replaces the previous one): an RSA-4096 key pair in the HSM domain and a nonce', action: 'kms.importtoken.create', body: 'ImportTokenRequest', ok: { '200': 'ImportToken' }, errors: ['400', '401', '409'] },
  { method: 'get', path: '/api/v2/import_token', id: 'getImportToken', summary: 'Retrieve the import token: public key and nonce; uses one retrieval', action: 'kms.importtoken.read', ok: { '200': 'ImportTokenRetrieved' }, errors: ['400', '401', '404', '409'] },
  { method: 'get', path: '/crypto_v1/instances/{id}', id: 'getCryptoUnit', summary: 'HPCS instance: connection info and domain status', action: 'hs-crypto.domain.status', ok: { '200': 'CryptoUnit' }, errors: ['401'] },
  { method: 'post', path: '/crypto_v1/instances/{id}/ceremony/init', id: 'ceremonyInit', summary: 'New master-key ceremony: parts returned encrypted to each custodian', action: 'hs-crypto.domain.ceremony-init', body: 'CeremonyInitRequest', ok: { '200': 'CeremonyInitResponse' }, errors: ['400', '401', '409'] },
  { method: 'post', path: '/crypto_v1/instances/{id}/unseal', id: 'unsealDomain', summary: 'Submit one part (encrypted to the ceremony key); progress per HSM replica', action: 'hs-crypto.domain.unseal', body: 'PartRequest', ok: { '200': 'ReplicaProgress' }, errors: ['400', '401', '409'] },
  { method: 'post', path: '/crypto_v1/instances/{id}/seal', id: 'sealDomain', summary: 'Seal the domain on every replica', action: 'hs-crypto.domain.seal', ok: { '200': 'ReplicaProgress' }, errors: ['401'] },
  { method: 'post', path: '/crypto_v1/instances/{id}/rotate-master-key', id: 'rotateMasterKey', summary: 'Submit one part of a rotation ceremony', action: 'hs-crypto.domain.rotate-master-key', body: 'PartRequest', ok: { '200': 'ReplicaProgress' }, errors: ['400', '401', '409'] },
  ...REGISTRATION_EVENT_ROUTES,
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const b64 = { type: 'string', format: 'byte' };
const collection = (item: string) => ({
  type: 'object',
  properties: { metadata: ref('CollectionMetadata'), resources: { type: 'array', items: ref(item) } },
  required: ['metadata'],
});

/** Secure import (create and rotate): with these, `payload` is RSA-OAEP ciphertext under the import token's public key. */
const SECURE_IMPORT_FIELDS = {
  encryptedNonce: { ...b64, description: 'AES-GCM ciphertext ‖ 16-byte tag of the import token nonce, under the key material' },
  iv: { ...b64, description: 'the 12-byte AES-GCM IV used for encryptedNonce' },
  encryptionAlgorithm: { type: 'string', enum: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'], default: 'RSAES_OAEP_SHA_256', description: 'RSAES_OAEP_SHA_1 for hs-crypto instances only' },
};

const PATH_PARAMETERS: Record<string, object> = {
  id: { name: 'id', in: 'path', required: true, description: 'the key id, or one of its aliases (exact match); with X-Kms-Key-Ring the key must be in that ring', schema: str },
  alias: { name: 'alias', in: 'path', required: true, description: '2–90 characters from [A-Za-z0-9_-], not a UUID, not a reserved name', schema: str },
  keyRingId: { name: 'keyRingId', in: 'path', required: true, description: '2–100 characters from [A-Za-z0-9_-]', schema: str },
};

const CRYPTO_UNIT_ID = { name: 'id', in: 'path', required: true, description: 'the hs-crypto instance GUID', schema: str };

const PARAMETERS: Record<string, object> = {
  limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000, default: 200 } },
  offset: { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  state: { name: 'state', in: 'query', description: 'comma-separated states (0,1,2,3,5); default 0–3', schema: str },
  extractable: { name: 'extractable', in: 'query', schema: { type: 'boolean' } },
  search: {
    name: 'search',
    in: 'query',
    description: 'substring of the name (or start of the id); options not:, escape:, exact:, name:, alias: (aliases: part 2); one trailing comma is ignored',
    schema: { type: 'string', maxLength: 101 },
  },
  sort: {
    name: 'sort',
    in: 'query',
    description: 'comma-separated fields of id, state, extractable, imported, creationDate, lastUpdateDate, lastRotateDate, deletionDate, expirationDate, name; `-` for descending',
    schema: str,
  },
  filter: {
    name: 'filter',
    in: 'query',
    description: 'space-separated terms: state=1,2 · extractable=true · creationDate|expirationDate|lastRotateDate|deletionDate|lastUpdateDate = none, "<date>" or gt:/gte:/lt:/lte:"<date>" (several run together for a range)',
    schema: str,
  },
  totalCount: { name: 'totalCount', in: 'query', schema: { type: 'boolean' } },
  allKeyStates: { name: 'allKeyStates', in: 'query', schema: { type: 'boolean' } },
  force: { name: 'force', in: 'query', schema: { type: 'boolean' } },
  action: { name: 'action', in: 'query', required: true, schema: { type: 'string', enum: ['wrap', 'unwrap', 'rewrap', 'rotate', 'disable', 'enable', 'wrap_batch', 'unwrap_batch'] } },
  keyPolicy: { name: 'policy', in: 'query', schema: { type: 'string', enum: ['rotation', 'dualAuthDelete'] } },
  instancePolicy: { name: 'policy', in: 'query', schema: { type: 'string', enum: ['dualAuthDelete', 'allowedNetwork', 'allowedIP', 'keyCreateImportAccess', 'rotation', 'metrics'] } },
  Prefer: { name: 'Prefer', in: 'header', schema: { type: 'string', enum: ['return=minimal', 'return=representation'] } },
  'X-Kms-Key-Ring': {
    name: 'X-Kms-Key-Ring',
    in: 'header',
    description: 'create: the ring of the new key (default `default`); any other key call: the key must be in this ring (404 KEY_NOT_FOUND_ERR, or KEY_RING_NOT_FOUND_ERR for an unknown ring); lists and HEAD: only this ring',
    schema: { type: 'string' },
  },
  ...REGISTRATION_EVENT_PARAMETERS,
};

export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of KMS_ROUTES) {
    const parameters: object[] = [];
    for (const [, name] of op.path.matchAll(/\{(\w+)\}/g)) {
      // `/crypto_v1/instances/{id}` names an instance, not a key.
      const known = op.path.startsWith('/crypto_v1/') && name === 'id' ? CRYPTO_UNIT_ID : PATH_PARAMETERS[name as string];
      parameters.push(known ?? { name, in: 'path', required: true, schema: str });
    }
    if (op.path.startsWith('/api/v2/')) {
      parameters.push({ name: 'Bluemix-Instance', in: 'header', required: true, description: 'the instance GUID (400 BAD_HEADER_ERR without it)', schema: { type: 'string', format: 'uuid' } });
      parameters.push({ name: 'Correlation-Id', in: 'header', description: 'echoed as correlation-id', schema: str });
      parameters.push({ name: 'X-Keyward-Source-CRN', in: 'header', description: 'a consumer service acting for one of its resources', schema: str });
    }
    // Every key call takes X-Kms-Key-Ring (and an alias wherever it takes a key id).
    const headers = op.path.startsWith('/api/v2/keys') ? [...new Set([...(op.headers ?? []), 'X-Kms-Key-Ring'])] : (op.headers ?? []);
    for (const name of [...(op.query ?? []), ...headers]) parameters.push(PARAMETERS[name] as object);
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(op.ok)) {
      responses[status] = {
        description: status === '204' ? 'No Content' : 'Success',
        ...(op.method === 'head' ? { headers: { 'Key-Total': { schema: { type: 'integer' } } } } : {}),
        ...(schema ? { content: { 'application/json': { schema: ref(schema) } } } : {}),
      };
    }
    for (const status of op.errors) responses[status] = { description: 'Key Protect error envelope', content: { 'application/json': { schema: ref('ErrorCollection') } } };
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.id,
      summary: op.summary,
      ...(op.action ? { description: `IAM action: ${op.action}` } : {}),
      parameters,
      ...(op.body ? { requestBody: { required: false, description: 'JSON whatever the Content-Type; empty or `null` means no body', content: { 'application/json': { schema: ref(op.body) } } } } : {}),
      responses,
      security: [{ bearer: [] }],
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Keyward KMS — Key Protect API v2',
      version: '2.0.0',
      description: 'Wire-compatible with IBM Key Protect (see docs/KMS.md for deviations). Errors use the Key Protect error envelope; 401 UNAUTHORIZED_ERR for unauthenticated and forbidden alike.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (Keyward IAM)' } },
      schemas: {
        CollectionMetadata: { type: 'object', properties: { collectionType: str, collectionTotal: { type: 'integer' }, totalCount: { type: 'integer' } } },
        Key: {
          type: 'object',
          properties: {
            type: str, id: str, name: str, aliases: { type: 'array', items: str }, description: str, tags: { type: 'array', items: str }, keyRingID: str,
            state: { type: 'integer', enum: [0, 1, 2, 3, 5] }, nonactiveStateReason: { type: 'integer' }, expirationDate: { type: 'string', format: 'date-time' },
            extractable: { type: 'boolean' }, imported: { type: 'boolean' }, crn: str, creationDate: { type: 'string', format: 'date-time' }, createdBy: str,
            lastUpdateDate: { type: 'string', format: 'date-time' }, lastRotateDate: { type: 'string', format: 'date-time' }, algorithmType: str,
            algorithmMetadata: { type: 'object', properties: { bitLength: str, mode: str } }, algorithmBitSize: { type: 'integer' }, algorithmMode: str,
            keyVersion: ref('KeyVersion'), dualAuthDelete: { type: 'object', properties: { enabled: { type: 'boolean' }, keySetForDeletion: { type: 'boolean' }, authExpiration: { type: 'string', format: 'date-time' } } }, deleted: { type: 'boolean' },
            deletionDate: { type: 'string', format: 'date-time' }, deletedBy: str, restoreExpirationDate: { type: 'string', format: 'date-time' },
            restoreAllowed: { type: 'boolean' }, purgeAllowed: { type: 'boolean' }, purgeAllowedFrom: { type: 'string', format: 'date-time' },
            purgeScheduledOn: { type: 'string', format: 'date-time' }, payload: b64,
            pendingEventAcks: { type: 'array', description: 'GET /keys/{id} and /metadata: events registered services have not acknowledged yet', items: ref('PendingEventAck') },
          },
        },
        KeyCollection: collection('Key'),
        KeyVersion: { type: 'object', properties: { id: str, creationDate: { type: 'string', format: 'date-time' } } },
        KeyVersionCollection: collection('KeyVersion'),
        KeyCreateRequest: {
          type: 'object',
          properties: {
            metadata: ref('CollectionMetadata'),
            resources: {
              type: 'array', minItems: 1, maxItems: 1,
              items: {
                type: 'object', required: ['name'],
                properties: { type: str, name: { type: 'string', minLength: 2, maxLength: 90 }, aliases: { type: 'array', maxItems: 5, items: str }, description: str, tags: { type: 'array', items: str }, Tags: { type: 'array', items: str }, expirationDate: { type: 'string', format: 'date-time' }, extractable: { type: 'boolean', default: false }, payload: { ...b64, description: 'plain material, or with encryptedNonce and iv the RSA-OAEP ciphertext of it under the import token (docs/KMS.md)' }, ...SECURE_IMPORT_FIELDS },
              },
            },
          },
          required: ['resources'],
        },
        KeyPatchRequest: { type: 'object', required: ['keyRingID'], properties: { keyRingID: { type: 'string', description: 'the target ring; matched case-insensitively (`KeyRingID`)' } } },
        KeyRing: { type: 'object', properties: { id: str, creationDate: { type: 'string', format: 'date-time' }, createdBy: str } },
        KeyRingCollection: collection('KeyRing'),
        KeyAlias: { type: 'object', properties: { keyId: str, alias: str, creationDate: { type: 'string', format: 'date-time' }, createdBy: str } },
        KeyAliasCollection: collection('KeyAlias'),
        WrapRequest: { type: 'object', properties: { plaintext: { ...b64, description: '1 to 4,096 bytes' }, aad: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 255 } } } },
        WrapResponse: { type: 'object', properties: { ciphertext: str, keyVersion: ref('KeyVersion'), plaintext: b64 } },
        UnwrapRequest: { type: 'object', required: ['ciphertext'], properties: { ciphertext: str, aad: { type: 'array', items: { type: 'string', maxLength: 255 } } } },
        UnwrapResponse: { type: 'object', properties: { plaintext: b64, keyVersion: ref('KeyVersion'), ciphertext: str, rewrappedKeyVersion: ref('KeyVersion') } },
        RewrapResponse: { type: 'object', properties: { ciphertext: str, keyVersion: ref('KeyVersion'), rewrappedKeyVersion: ref('KeyVersion') } },
        RotateRequest: { type: 'object', properties: { payload: b64, ...SECURE_IMPORT_FIELDS } },
        ImportTokenRequest: {
          type: 'object',
          description: 'Unknown fields are ignored; no body means both defaults',
          properties: { expiration: { type: 'integer', minimum: 300, maximum: 86400, default: 600 }, maxAllowedRetrievals: { type: 'integer', minimum: 1, maximum: 500, default: 1 } },
        },
        ImportToken: {
          type: 'object',
          properties: { creationDate: { type: 'string', format: 'date-time' }, expirationDate: { type: 'string', format: 'date-time' }, maxAllowedRetrievals: { type: 'integer' }, remainingRetrievals: { type: 'integer' } },
        },
        ImportTokenRetrieved: {
          type: 'object',
          properties: {
            creationDate: { type: 'string', format: 'date-time' }, expirationDate: { type: 'string', format: 'date-time' }, maxAllowedRetrievals: { type: 'integer' }, remainingRetrievals: { type: 'integer' },
            payload: { ...b64, description: 'base64 of the PEM "PUBLIC KEY" (PKIX, RSA-4096)' },
            nonce: { ...b64, description: '12 bytes, the same for the token’s life' },
          },
        },
        WrapBatchRequest: { type: 'object', required: ['items'], properties: { items: { type: 'array', minItems: 1, maxItems: 1000, items: ref('WrapRequest') } } },
        UnwrapBatchRequest: { type: 'object', required: ['items'], properties: { items: { type: 'array', minItems: 1, maxItems: 1000, items: ref('UnwrapRequest') } } },
        BatchResponse: {
          type: 'object',
          properties: { results: { type: 'array', items: { oneOf: [ref('WrapResponse'), ref('UnwrapResponse'), { type: 'object', properties: { error: { type: 'object', properties: { code: str, message: str } } } }] } } },
        },
        Policy: {
          type: 'object',
          properties: {
            type: str, id: str, crn: str,
            rotation: { type: 'object', properties: { enabled: { type: 'boolean', default: true }, interval_month: { type: 'integer', minimum: 1, maximum: 12 } } },
            dualAuthDelete: { type: 'object', properties: { enabled: { type: 'boolean' } } },
            createdBy: str, creationDate: { type: 'string', format: 'date-time' }, updatedBy: str, lastUpdateDate: { type: 'string', format: 'date-time' },
          },
        },
        PolicyCollection: collection('Policy'),
        PolicyRequest: { type: 'object', required: ['resources'], properties: { metadata: ref('CollectionMetadata'), resources: { type: 'array', minItems: 1, maxItems: 2, items: ref('Policy') } } },
        InstancePolicy: {
          type: 'object',
          required: ['policy_type', 'policy_data'],
          properties: {
            policy_type: { type: 'string', enum: ['dualAuthDelete', 'allowedNetwork', 'allowedIP', 'keyCreateImportAccess', 'rotation', 'metrics'] },
            policy_data: {
              type: 'object', required: ['enabled'],
              properties: {
                enabled: { type: 'boolean' },
                attributes: {
                  type: 'object',
                  properties: {
                    allowed_network: { type: 'string', enum: ['public-and-private', 'private-only'] }, allowed_ip: { type: 'array', items: str, maxItems: 1000 },
                    create_root_key: { type: 'boolean' }, create_standard_key: { type: 'boolean' }, import_root_key: { type: 'boolean' }, import_standard_key: { type: 'boolean' },
                    enforce_token: { type: 'boolean' }, interval_month: { type: 'integer', minimum: 1, maximum: 12 },
                  },
                },
              },
            },
            creationDate: { type: 'string', format: 'date-time' }, createdBy: str, updatedBy: str, lastUpdated: { type: 'string', format: 'date-time' },
          },
        },
        InstancePolicyCollection: collection('InstancePolicy'),
        AllowedIpPortCollection: { type: 'object', properties: { metadata: ref('CollectionMetadata'), resources: { type: 'array', items: { type: 'object', properties: { private_endpoint_port: { type: 'integer' } } } } } },
        CryptoUnit: { type: 'object', properties: { instance_id: str, crn: str, region: str, key_management_endpoint: str, domain: { type: 'object' } } },
        CeremonyInitRequest: {
          type: 'object', required: ['threshold', 'custodians'],
          properties: { threshold: { type: 'integer', minimum: 1, maximum: 16 }, custodians: { type: 'array', items: { type: 'object', properties: { name: str, publicKey: { type: 'string', description: 'RSA ≥ 2048, PEM' } } } }, rotation: { type: 'boolean' } },
        },
        CeremonyInitResponse: { type: 'object', properties: { domainId: str, ceremonyPublicKey: str, threshold: { type: 'integer' }, generation: { type: 'integer' }, parts: { type: 'array', items: { type: 'object', properties: { name: str, encryptedPart: b64 } } } } },
        PartRequest: { type: 'object', required: ['encryptedPart'], properties: { encryptedPart: { ...b64, description: 'hybrid ciphertext to the ceremony public key (docs/HSM.md)' } } },
        ReplicaProgress: { type: 'object', properties: { replicas: { type: 'array', items: { type: 'object', properties: { replicaId: str, state: str, threshold: { type: 'integer' }, submitted: { type: 'integer' }, generation: { type: 'integer' } } } } } },
        ...REGISTRATION_EVENT_SCHEMAS,
        ErrorCollection: {
          type: 'object',
          properties: {
            metadata: ref('CollectionMetadata'),
            resources: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  errorMsg: str,
                  reasons: { type: 'array', items: { type: 'object', properties: { code: str, message: str, status: { type: 'integer' }, moreInfo: str, target: { type: 'object', properties: { type: str, name: str } } } } },
                },
              },
            },
          },
        },
      },
    },
  };
}
