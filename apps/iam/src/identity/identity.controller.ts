import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard } from '@keyward/platform';
import { IdentityService } from './identity.service';

/** Accounts, users, service IDs and API keys (IBM IAM Identity's paths where it has them). */
@Controller('v1')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class IdentityController {
  constructor(private readonly identities: IdentityService) {}

  @Post('accounts')
  @HttpCode(201)
  createAccount(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return this.identities.createAccount(caller, body);
  }

  @Post('users')
  @HttpCode(201)
  createUser(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return this.identities.createUser(caller, body);
  }

  @Post('serviceids')
  @HttpCode(201)
  createServiceId(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return this.identities.createServiceId(caller, body);
  }

  @Post('apikeys')
  @HttpCode(201)
  createApiKey(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return this.identities.createApiKey(caller, body);
  }

  @Get('apikeys')
  listApiKeys(@Caller() caller: AuthenticatedCaller, @Query('iam_id') iamId: string | undefined) {
    return this.identities.listApiKeys(caller, iamId);
  }

  @Get('apikeys/:id')
  getApiKey(@Caller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.identities.getApiKey(caller, id);
  }

  @Delete('apikeys/:id')
  @HttpCode(204)
  async deleteApiKey(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.identities.deleteApiKey(caller, id);
  }

  @Post('apikeys/:id/disable')
  @HttpCode(204)
  async disable(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.identities.setApiKeyState(caller, id, 'disabled');
  }

  @Delete('apikeys/:id/disable')
  @HttpCode(204)
  async enable(@Caller() caller: AuthenticatedCaller, @Param('id') id: string): Promise<void> {
    await this.identities.setApiKeyState(caller, id, 'active');
  }
}
