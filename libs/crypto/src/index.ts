export * from './crypto-error';
export * from './aes-gcm';
export * from './aad-encoding';
export * from './ciphertext-format';
export * from './key-object';
export * from './hybrid-encryption';
export * from './master-key-ceremony';
