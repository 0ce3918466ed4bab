import { Inject, Injectable } from '@nestjs/common';
import { IAM_CONFIG, type IamConfig } from '../config/iam.config';

/** IAM's public URL (KEYWARD_IAM_URL), for `href`s in responses. */
@Injectable()
export class IamBaseUrl {
  constructor(@Inject(IAM_CONFIG) private readonly config: IamConfig) {}

  get(): string {
    return this.config.appUrls.iam.replace(/\/$/, '');
  }
}
