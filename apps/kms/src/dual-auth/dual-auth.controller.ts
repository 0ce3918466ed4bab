import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller } from '@keyward/platform';
import { Instance, KmsAuthGuard } from '../access/kms-auth.guard';
import type { KmsRequest } from '../access/kms-request';
import type { KmsInstance } from '../instances/instance.repository';
import { DualAuthService } from './dual-auth.service';

/** Static action segments: the router prefers them over the keys controller's `:action`. */
@Controller('api/v2/keys')
@UseGuards(KmsAuthGuard)
export class DualAuthController {
  constructor(private readonly dualAuth: DualAuthService) {}

  @Post(':id/actions/setKeyForDeletion')
  @Authenticated()
  @HttpCode(204)
  async set(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'setKeyForDeletion', keyId: id };
    await this.dualAuth.setForDeletion(caller, instance, id, body);
  }

  @Post(':id/actions/unsetKeyForDeletion')
  @Authenticated()
  @HttpCode(204)
  async unset(@Caller() caller: AuthenticatedCaller, @Instance() instance: KmsInstance, @Param('id') id: string, @Body() body: unknown, @Req() request: KmsRequest) {
    request.kmsAudit = { action: 'unsetKeyForDeletion', keyId: id };
    await this.dualAuth.unsetForDeletion(caller, instance, id, body);
  }
}
