import { Controller, Get, Inject } from '@nestjs/common';
import type { EndpointsCatalog, KeywardAppName } from '@keyward/contracts';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';

/** The IAM service names each app serves. */
const SERVES: Record<KeywardAppName, string[]> = {
  iam: ['iam'],
  kms: ['kms', 'hs-crypto'],
  hsm: [],
  'app-configuration': ['apprapp'],
  schematics: ['schematics'],
  dbaas: ['hyperp-dbaas-postgresql'],
};

/** `GET /v1/endpoints`: every Keyward service URL, so a client needs only IAM's address. Public. */
@Controller()
export class EndpointsController {
  constructor(@Inject(IAM_CONFIG) private readonly config: IamConfig) {}

  @Get('v1/endpoints')
  endpoints(): EndpointsCatalog {
    return {
      endpoints: (Object.keys(SERVES) as KeywardAppName[])
        .filter((app) => app !== 'hsm')
        .map((app) => ({ app, service_names: SERVES[app], url: this.config.appUrls[app] })),
    };
  }
}
