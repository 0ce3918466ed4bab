import { DomainError } from '@keyward/contracts';
import { KmsClientError } from '@keyward/kms-client';
import { keyChoiceRefusal, kmsRefusal } from './kms-errors';

describe('KMS refusals as DBaaS answers', () => {
  it.each([
    [new KmsClientError('KEY_ROOT_REQ_ERR', 400, 'root key required'), 'KEY_ROOT_REQ_ERR', 400],
    [new KmsClientError('KEY_NOT_FOUND_ERR', 404, 'no key'), 'KEY_NOT_FOUND_ERR', 404],
    [new KmsClientError('UNAUTHORIZED_ERR', 401, 'unauthorized'), 'KMS_AUTHORIZATION_MISSING_ERR', 403],
    [new KmsClientError('SOMETHING_NEW_ERR', 409, 'new'), 'CONFLICT_ERR', 409],
    [new KmsClientError('SERVICE_UNAVAILABLE_ERR', 503, 'away'), 'SERVICE_UNAVAILABLE_ERR', 503],
  ])('maps %s', (error, code, status) => {
    const mapped = kmsRefusal(error, 'Doing it') as DomainError;
    expect(mapped).toBeInstanceOf(DomainError);
    expect(mapped).toMatchObject({ code, status });
    expect(mapped.message.startsWith('Doing it: ')).toBe(true);
  });

  it('keeps anything else as it is', () => {
    const other = new Error('boom');
    expect(kmsRefusal(other, 'x')).toBe(other);
  });

  it('prefixes a refusal of DBaaS itself only when the user is choosing the key', () => {
    const blocked = new DomainError('KMS_KEY_UNAVAILABLE_ERR', 'The root key k is disabled (state 2)');
    expect(kmsRefusal(blocked, 'x')).toBe(blocked);
    expect(keyChoiceRefusal(blocked, 'The root key k cannot protect the cluster')).toMatchObject({
      code: 'KMS_KEY_UNAVAILABLE_ERR',
      status: 409,
      message: 'The root key k cannot protect the cluster: The root key k is disabled (state 2)',
    });
    const internal = new DomainError('INTERNAL_ERR');
    expect(keyChoiceRefusal(internal, 'x')).toBe(internal);
  });
});
