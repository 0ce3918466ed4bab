import { call } from './kms-suite';

/** An IAM authorization: `serviceName` (any of its resources in `account`) gets `role` on the KMS instance. */
export async function grantServiceOnInstance(iamUrl: string, admin: string, account: string, serviceName: string, instanceGuid: string, role = 'Reader'): Promise<void> {
  const policy = await call(iamUrl, admin, 'POST', '/v2/policies', {
    type: 'authorization',
    subject: {
      attributes: [
        { key: 'accountId', operator: 'stringEquals', value: account },
        { key: 'serviceName', operator: 'stringEquals', value: serviceName },
      ],
    },
    resource: {
      attributes: [
        { key: 'accountId', operator: 'stringEquals', value: account },
        { key: 'serviceName', operator: 'stringEquals', value: 'kms' },
        { key: 'serviceInstance', operator: 'stringEquals', value: instanceGuid },
      ],
    },
    control: { grant: { roles: [{ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${role}` }] } },
  });
  if (policy.status !== 201) throw new Error(`authorization not created: ${policy.status} ${policy.text}`);
}
