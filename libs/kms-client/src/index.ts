export * from './kms-client';
export * from './kms-client-error';
export * from './kms-client.config';
export * from './kms-client.module';
