import { type ServiceName, appUrlEnvName, KEYWARD_APPS, serviceApiKeyEnvName } from '@keyward/contracts';
import { envFields } from '@keyward/platform';

/**
 * The variables every consumer reads to reach the KMS: where the KMS and IAM listen, and the
 * consumer's own service API key (exchanged at IAM for its service token).
 */
export function kmsClientEnvShape(service: ServiceName) {
  return {
    [appUrlEnvName('kms')]: envFields.url(['http', 'https'], `http://127.0.0.1:${KEYWARD_APPS.kms.port}`),
    [appUrlEnvName('iam')]: envFields.url(['http', 'https'], `http://127.0.0.1:${KEYWARD_APPS.iam.port}`),
    [serviceApiKeyEnvName(service)]: envFields.secret(20),
  };
}

export interface KmsClientConfig {
  kmsUrl: string;
  iamUrl: string;
  apiKey: string;
}

export function kmsClientConfigFrom(parsed: Record<string, unknown>, service: ServiceName): KmsClientConfig {
  return {
    kmsUrl: parsed[appUrlEnvName('kms')] as string,
    iamUrl: parsed[appUrlEnvName('iam')] as string,
    apiKey: parsed[serviceApiKeyEnvName(service)] as string,
  };
}
