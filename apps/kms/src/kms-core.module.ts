import { type DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from './common/clock';
import { KMS_SETTINGS, type KmsSettings } from './config/kms.config';

/** The clock and the settings every KMS module reads (tests pass their own clock). */
@Global()
@Module({})
export class KmsCoreModule {
  static forRoot(settings: KmsSettings, clock: Clock): DynamicModule {
    return {
      module: KmsCoreModule,
      providers: [
        { provide: KMS_SETTINGS, useValue: settings },
        { provide: Clock, useValue: clock },
      ],
      exports: [KMS_SETTINGS, Clock],
    };
  }
}
