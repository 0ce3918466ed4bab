import { randomBytes } from 'node:crypto';
import { DomainError } from '@keyward/contracts';
import type { KmsInstance } from '../instances/instance.repository';
import { importTokenPolicy, secureImportFields } from './import-token-input';

const kms = { guid: 'g', service: 'kms', accountId: 'a', hsmDomainId: 'platform', crn: '', region: '' } satisfies KmsInstance;
const hpcs = { ...kms, service: 'hs-crypto' } satisfies KmsInstance;

function refusal(run: () => unknown): { code: string; field?: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, ...(error.target ? { field: error.target.name } : {}) };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('import-token input', () => {
  it('applies the defaults for no body, null, {} and unknown fields; takes the bounds', () => {
    for (const body of [undefined, null, '', {}, { expirationDate: 'x' }]) expect(importTokenPolicy(body)).toEqual({ expirationSeconds: 600, maxAllowedRetrievals: 1 });
    expect(importTokenPolicy({ expiration: 300, maxAllowedRetrievals: 500 })).toEqual({ expirationSeconds: 300, maxAllowedRetrievals: 500 });
    expect(importTokenPolicy({ expiration: 86_400, maxAllowedRetrievals: 1 })).toEqual({ expirationSeconds: 86_400, maxAllowedRetrievals: 1 });
  });

  it('refuses values out of range or not whole numbers, naming the field', () => {
    expect(refusal(() => importTokenPolicy({ expiration: 299 }))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'expiration' });
    expect(refusal(() => importTokenPolicy({ expiration: '600' }))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'expiration' });
    expect(refusal(() => importTokenPolicy({ maxAllowedRetrievals: 1.5 }))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'maxAllowedRetrievals' });
    expect(refusal(() => importTokenPolicy([]))).toEqual({ code: 'BAD_BODY_ERR' });
  });

  const good = { payload: randomBytes(512).toString('base64'), encryptedNonce: randomBytes(28).toString('base64'), iv: randomBytes(12).toString('base64') };

  it('is a plain import without encryptedNonce, iv and encryptionAlgorithm; a secure one (SHA-256 by default) with them', () => {
    expect(secureImportFields({ payload: good.payload }, kms)).toBeUndefined();
    expect(secureImportFields({ payload: good.payload, encryptedNonce: null, iv: null }, kms)).toBeUndefined();
    expect(secureImportFields(good, kms)).toEqual({ encryptedKey: good.payload, encryptedNonce: good.encryptedNonce, iv: good.iv, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    expect(secureImportFields({ ...good, encryptionAlgorithm: 'RSAES_OAEP_SHA_1' }, hpcs)?.encryptionAlgorithm).toBe('RSAES_OAEP_SHA_1');
  });

  it('refuses a half or malformed secure import with the documented codes', () => {
    expect(refusal(() => secureImportFields({ ...good, payload: undefined }, kms))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'payload' });
    expect(refusal(() => secureImportFields({ ...good, payload: 'a'.repeat(1028) }, kms))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'payload' });
    expect(refusal(() => secureImportFields({ ...good, encryptedNonce: undefined }, kms))).toEqual({ code: 'INCORRECT_NONCE_IV_ERR', field: 'encryptedNonce' });
    expect(refusal(() => secureImportFields({ ...good, iv: randomBytes(16).toString('base64') }, kms))).toEqual({ code: 'INCORRECT_NONCE_IV_ERR', field: 'iv' });
    expect(refusal(() => secureImportFields({ payload: good.payload, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }, kms))).toEqual({ code: 'INCORRECT_NONCE_IV_ERR', field: 'encryptedNonce' });
    expect(refusal(() => secureImportFields({ ...good, encryptionAlgorithm: 'RSA' }, kms))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'encryptionAlgorithm' });
    expect(refusal(() => secureImportFields({ ...good, encryptionAlgorithm: 'RSAES_OAEP_SHA_1' }, kms))).toEqual({ code: 'INVALID_FIELD_ERR', field: 'encryptionAlgorithm' });
  });
});
