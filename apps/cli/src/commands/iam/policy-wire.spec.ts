import { CliError } from '../../cli-error';
import { attributes, roleIds } from './policy-wire';

describe('policy wire helpers', () => {
  it('turns role names into role CRNs: platform roles as platform roles unless service-only', () => {
    expect(roleIds('Viewer, Reader', false)).toEqual([{ role_id: 'crn:v1:keyward:public:iam::::role:Viewer' }, { role_id: 'crn:v1:keyward:public:iam::::serviceRole:Reader' }]);
    expect(roleIds('Reader', true)).toEqual([{ role_id: 'crn:v1:keyward:public:iam::::serviceRole:Reader' }]);
    expect(roleIds('crn:v1:bluemix:public:iam::::serviceRole:Writer', true)).toEqual([{ role_id: 'crn:v1:bluemix:public:iam::::serviceRole:Writer' }]);
  });

  it('refuses an empty list or a malformed name as a usage error', () => {
    expect(() => roleIds(' , ', false)).toThrow(CliError);
    expect(() => roleIds('Read er', false)).toThrow(/not a role name/);
  });

  it('leaves out attributes that were not given', () => {
    expect(attributes({ accountId: 'a', serviceName: undefined, serviceInstance: 'g' })).toEqual([
      { key: 'accountId', operator: 'stringEquals', value: 'a' },
      { key: 'serviceInstance', operator: 'stringEquals', value: 'g' },
    ]);
  });
});
