import { DomainError } from '@keyward/contracts';
import { crnQueryParam, decodeUntilStable, registrationBody, resourceCrnParam } from './registration-input';

const CRN = 'crn:v1:keyward:public:schematics:us-south:a/0123456789abcdef0123456789abcdef::workspace:w-1';

describe('registration input', () => {
  it('decodes a CRN encoded once, twice or not at all', () => {
    expect(decodeUntilStable(CRN)).toBe(CRN);
    expect(decodeUntilStable(encodeURIComponent(CRN))).toBe(CRN);
    expect(decodeUntilStable(encodeURIComponent(encodeURIComponent(CRN)))).toBe(CRN);
    expect(decodeUntilStable('crn%E0%A4%A')).toBeUndefined();
  });

  it('takes the service from the CRN and refuses what is not a CRN', () => {
    expect(resourceCrnParam(encodeURIComponent(CRN))).toEqual({ crn: CRN, service: 'schematics' });
    for (const bad of ['crn:v1:x', 'urn:v1:a:b:c:d:e:f:g:h', `${CRN}*`, `crn:v1:keyward:public:Bad:x:y:z:t:r`, `${CRN}${'x'.repeat(600)}`]) {
      expect(() => resourceCrnParam(bad)).toThrow(DomainError);
    }
  });

  it('turns a CRN query into a LIKE pattern with * as the only wildcard', () => {
    expect(crnQueryParam(encodeURIComponent('crn:v1:keyward:public:schematics:us-south:a/1::work_space:*'), { allKeys: true })).toBe(
      'crn:v1:keyward:public:schematics:us-south:a/1::work\\_space:%',
    );
    expect(crnQueryParam(undefined, { allKeys: true })).toBeUndefined();
    expect(() => crnQueryParam('crn:v1:keyward:public:*:*:*:*:*:*', { allKeys: true })).toThrow(DomainError);
    expect(crnQueryParam('crn:v1:keyward:public:*:*:*:*:*:*', { allKeys: false })).toBe('crn:v1:keyward:public:%:%:%:%:%:%');
  });

  it('reads the registration_input envelope', () => {
    expect(registrationBody(undefined, { required: false })).toEqual({});
    expect(() => registrationBody(undefined, { required: true })).toThrow(DomainError);
    expect(registrationBody({ resources: [{ preventKeyDeletion: true, description: null, keyVersionId: 'v' }] }, { required: true })).toEqual({
      preventKeyDeletion: true,
      description: null,
      keyVersionId: 'v',
    });
    expect(() => registrationBody({ resources: [{ registrationMetadata: 'x'.repeat(4097) }] }, { required: true })).toThrow(DomainError);
  });
});
