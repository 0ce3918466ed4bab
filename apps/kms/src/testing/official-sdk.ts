// The npm package has no `main` (shared/docs/STACK.md): import its two entry points directly.
import IbmKeyProtectApiV2 from '@ibm-cloud/ibm-key-protect/ibm-key-protect-api/v2';
import { IamAuthenticator } from '@ibm-cloud/ibm-key-protect/auth';
import type { KmsSuite } from './kms-suite';

export { IbmKeyProtectApiV2 };

/** The official Key Protect Node SDK, unmodified, as the suite's admin through our IAM with the SDK's own IamAuthenticator. */
export function officialSdkClient(s: KmsSuite, serviceUrl: string = s.kms.url): IbmKeyProtectApiV2 {
  return new IbmKeyProtectApiV2({ authenticator: new IamAuthenticator({ apikey: s.suite.adminApiKey, url: s.iamUrl }), serviceUrl });
}
