import { keyRefFromCrn, parseKeyCrn } from './key-crn';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const INSTANCE = '9a8b7c6d-1111-4222-8333-944445555777';
const KEY = '0f0e0d0c-1111-4222-8333-944445555888';

describe('root key CRNs', () => {
  it('reads a Key Protect or HPCS key CRN, with either cloud name', () => {
    expect(parseKeyCrn(`crn:v1:bluemix:public:kms:us-south:a/${ACCOUNT}:${INSTANCE}:key:${KEY}`)).toEqual({
      serviceName: 'kms',
      region: 'us-south',
      accountId: ACCOUNT,
      instanceId: INSTANCE,
      keyId: KEY,
    });
    expect(parseKeyCrn(`crn:v1:keyward:public:hs-crypto:eu-de:a/${ACCOUNT}:${INSTANCE}:key:${KEY}`)).toMatchObject({ serviceName: 'hs-crypto', region: 'eu-de' });
  });

  it.each([
    ['an instance CRN', `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}:${INSTANCE}::`],
    ['another service', `crn:v1:keyward:public:apprapp:us-south:a/${ACCOUNT}:${INSTANCE}:key:${KEY}`],
    ['no instance', `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}::key:${KEY}`],
    ['not a CRN', 'key-1'],
    ['a key named by an alias (events name keys by id)', `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}:${INSTANCE}:key:billing-root`],
  ])('refuses %s', (_case, crn) => {
    expect(parseKeyCrn(crn)).toBeUndefined();
    expect(keyRefFromCrn(crn, 'crn:source')).toBeUndefined();
  });

  it('makes the KeyRef for a source resource, at another KMS when given', () => {
    const keyCrn = `crn:v1:keyward:public:kms:us-south:a/${ACCOUNT}:${INSTANCE}:key:${KEY}`;
    expect(keyRefFromCrn(keyCrn, 'crn:source')).toEqual({ instanceId: INSTANCE, keyId: KEY, sourceCrn: 'crn:source' });
    expect(keyRefFromCrn(keyCrn, 'crn:source', 'https://kms.eu-de.example')).toEqual({ instanceId: INSTANCE, keyId: KEY, sourceCrn: 'crn:source', kmsUrl: 'https://kms.eu-de.example' });
  });
});
