import { type DynamicModule, Module } from '@nestjs/common';
import { type KmsClientConfig, KmsClientModule } from '@keyward/kms-client';
import { WorkspaceKeys } from '../encryption/workspace-keys';
import { KeyEventsService } from '../key-events/key-events.service';
import { KeyStateRepository } from '../key-events/key-state.repository';
import { KmsInstancesService, SCHEMATICS_KMS_URL } from '../kms-settings/kms-instances.service';
import { KmsSettingsController } from '../kms-settings/kms-settings.controller';
import { KmsSettingsRepository } from '../kms-settings/kms-settings.repository';
import { KmsSettingsService } from '../kms-settings/kms-settings.service';
import { defaultKeyProviders } from './default-key';
import { ReencryptionWorker } from './reencryption.worker';
import { WorkspaceRepository } from './workspace.repository';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';

/** Workspaces and the per-location KMS settings their data keys follow. */
@Module({})
export class WorkspacesModule {
  static register(options: { kms: KmsClientConfig; defaultKeyCrn?: string }): DynamicModule {
    return {
      module: WorkspacesModule,
      // The app's one KmsClient (and the KMS in /health) lives here, where the keys are used.
      imports: [KmsClientModule.register(options.kms)],
      controllers: [WorkspacesController, KmsSettingsController],
      providers: [
        WorkspaceRepository,
        WorkspaceKeys,
        KeyStateRepository,
        KeyEventsService,
        WorkspacesService,
        ReencryptionWorker,
        KmsSettingsRepository,
        KmsSettingsService,
        KmsInstancesService,
        { provide: SCHEMATICS_KMS_URL, useValue: options.kms.kmsUrl },
        ...defaultKeyProviders(options),
      ],
      exports: [WorkspacesService, WorkspaceRepository, WorkspaceKeys],
    };
  }
}
