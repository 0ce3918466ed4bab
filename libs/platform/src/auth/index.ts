export * from './principal';
export * from './jwt-verifier';
export * from './remote-jwks';
export * from './source-crn';
export * from './authz-client';
export * from './auth.guard';
export * from './auth.module';
export * from './service-token.provider';
