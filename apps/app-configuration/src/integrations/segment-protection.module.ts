import { Module } from '@nestjs/common';
import { IntegrationRepository } from './integration.repository';
import { SegmentProtection } from './segment-protection';

/** The data key and the key's state, shared by segments (read/write) and integrations (connect, events). */
@Module({ providers: [IntegrationRepository, SegmentProtection], exports: [IntegrationRepository, SegmentProtection] })
export class SegmentProtectionModule {}
