/**
 * The OpenAPI entries of registrations and lifecycle events (KEY-PROTECT-API.md §5, docs/KMS.md
 * "Events to consumers"), kept apart from the key routes so that each capability edits its own table.
 */
const str = { type: 'string' };
const date = { type: 'string', format: 'date-time' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const REG = '/api/v2/keys/{id}/registrations/{urlEncodedResourceCRN}';
const REG_ERRORS = ['400', '401', '403', '404', '409', '422'];

export const REGISTRATION_EVENT_ROUTES = [
  { method: 'get', path: '/api/v2/keys/registrations', id: 'getRegistrationsAllKeys', summary: 'Registrations of every key of the instance (X-Kms-Key-Ring narrows to one ring, and is decided on it; an unknown ring is 404)', action: 'kms.registrations.list', ok: { '200': 'RegistrationCollection' }, errors: ['400', '401', '404'], query: ['limit', 'offset', 'totalCount', 'urlEncodedResourceCRNQuery', 'preventKeyDeletion'], headers: ['X-Kms-Key-Ring'] },
  { method: 'get', path: '/api/v2/keys/{id}/registrations', id: 'getRegistrations', summary: 'Registrations of one key (collectionTotal always present, also 0)', action: 'kms.registrations.list', ok: { '200': 'RegistrationCollection' }, errors: ['400', '401', '404'], query: ['limit', 'offset', 'totalCount', 'urlEncodedResourceCRNQuery', 'preventKeyDeletion'] },
  { method: 'post', path: REG, id: 'createRegistration', summary: 'Service tokens only: register a resource with an active root key (the CRN URL-encoded, decoded until stable)', action: 'kms.registrations.create', body: 'RegistrationRequest', ok: { '201': 'RegistrationCollection' }, errors: REG_ERRORS },
  { method: 'patch', path: REG, id: 'updateRegistration', summary: 'Service tokens only: change the fields sent; keyVersionId must be newer than the registered one', action: 'kms.registrations.update', body: 'RegistrationRequest', ok: { '200': 'RegistrationCollection' }, errors: REG_ERRORS },
  { method: 'put', path: REG, id: 'replaceRegistration', summary: 'Service tokens only: replace the registration (absent fields take their defaults)', action: 'kms.registrations.update', body: 'RegistrationRequest', ok: { '200': 'RegistrationCollection' }, errors: REG_ERRORS },
  { method: 'delete', path: REG, id: 'deleteRegistration', summary: 'Service tokens only: remove the registration (any key state)', action: 'kms.registrations.delete', ok: { '204': '' }, errors: ['400', '401', '403', '404'] },
  { method: 'post', path: '/api/v2/keys/{id}/actions/sync', id: 'syncAssociatedResources', summary: 'Publish again the events still awaiting acknowledgement and the latest event of the key', action: 'kms.secrets.sync', ok: { '204': '' }, errors: ['401', '404'] },
  { method: 'post', path: '/api/v2/event_ack', id: 'eventAcknowledge', summary: 'Service tokens only: acknowledge a lifecycle event for a registered resource (also after a purge); 408 after the acknowledgement window', action: 'kms.secrets-event.ack', body: 'EventAcknowledgeRequest', ok: { '204': '' }, errors: ['400', '401', '403', '404', '408', '409'] },
] as const;

export const REGISTRATION_EVENT_PARAMETERS: Record<string, object> = {
  urlEncodedResourceCRNQuery: { name: 'urlEncodedResourceCRNQuery', in: 'query', description: 'a URL-encoded CRN; `*` matches anything (across all keys, only in the last two segments)', schema: str },
  preventKeyDeletion: { name: 'preventKeyDeletion', in: 'query', schema: { type: 'boolean' } },
};

export const REGISTRATION_EVENT_SCHEMAS: Record<string, object> = {
  Registration: {
    type: 'object',
    properties: {
      keyId: str, keyName: str, resourceCrn: str, createdBy: str, creationDate: date, updatedBy: str, lastUpdated: date, description: str,
      registrationMetadata: { type: 'string', description: 'shown to service callers only' }, preventKeyDeletion: { type: 'boolean' }, keyVersion: ref('KeyVersion'),
    },
  },
  RegistrationCollection: { type: 'object', properties: { metadata: ref('CollectionMetadata'), resources: { type: 'array', items: ref('Registration') } }, required: ['metadata'] },
  RegistrationRequest: {
    type: 'object',
    properties: {
      metadata: ref('CollectionMetadata'),
      resources: {
        type: 'array', minItems: 1, maxItems: 1,
        items: { type: 'object', properties: { preventKeyDeletion: { type: 'boolean', default: false }, description: { type: 'string', maxLength: 240 }, registrationMetadata: { type: 'string', maxLength: 4096 }, keyVersionId: str } },
      },
    },
  },
  EventAcknowledgeRequest: { type: 'object', required: ['eventId', 'resourceCrn', 'keyVersionId'], properties: { eventId: str, resourceCrn: str, keyVersionId: str } },
  PendingEventAck: { type: 'object', properties: { eventId: str, eventType: str, resourceCrn: str, keyVersionId: str, creationDate: date, ackExpirationDate: date } },
};
