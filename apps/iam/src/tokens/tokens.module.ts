import { Global, Module } from '@nestjs/common';
import { FormBodyParser } from './form-body.parser';
import { SigningKeyStore } from './signing-key-store';
import { SigningKeysRepository } from './signing-keys.repository';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/** Tokens: API key and refresh grants, rotating signing keys, the JWKS. */
@Global()
@Module({
  controllers: [TokensController],
  providers: [SigningKeysRepository, SigningKeyStore, TokensService, FormBodyParser],
  exports: [SigningKeyStore],
})
export class TokensModule {}
