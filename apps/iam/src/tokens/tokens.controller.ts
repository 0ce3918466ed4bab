import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { SigningKeyStore } from './signing-key-store';
import { TokensService } from './tokens.service';

/** IBM IAM's token endpoints (form body) and the JWKS every app verifies tokens with. */
@Controller()
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly keys: SigningKeyStore,
  ) {}

  @Post(['identity/token', 'oidc/token'])
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  token(@Body() form: unknown) {
    return this.tokens.grant(form && typeof form === 'object' ? (form as Record<string, unknown>) : {});
  }

  @Get('identity/keys')
  @Header('Cache-Control', 'public, max-age=60')
  jwks() {
    return this.keys.jwks();
  }
}
