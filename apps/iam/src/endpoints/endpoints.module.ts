import { Global, Module } from '@nestjs/common';
import { EndpointsController } from './endpoints.controller';
import { IamBaseUrl } from './iam-base-url';

@Global()
@Module({ controllers: [EndpointsController], providers: [IamBaseUrl], exports: [IamBaseUrl] })
export class EndpointsModule {}
