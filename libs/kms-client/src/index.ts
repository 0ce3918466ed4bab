export * from './kms-client';
export * from './kms-client-error';
export * from './service-token-source';
export * from './kms-client.config';
export * from './kms-client.module';
