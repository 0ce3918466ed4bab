import { envFields } from './env-fields';
import { ConfigError } from './config-error';
import { describeEnvSchema } from './env-names';
import { loadServiceConfig, serviceEnvSchema } from './service-config';

describe(loadServiceConfig.name, () => {
  it('applies the documented defaults', () => {
    const { service } = loadServiceConfig('kms', {}, {});
    expect(service).toMatchObject({
      app: 'kms',
      http: { host: '127.0.0.1', port: 8102 },
      logLevel: 'info',
      nats: { servers: ['nats://127.0.0.1:4222'], prefix: '', streamStorage: 'file', rpcTimeoutMs: 5000 },
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/keyward_kms',
    });
    expect(service.replicaId).toMatch(/^kms-[0-9a-f]{8}$/);
  });

  it('reads each variable of the app', () => {
    const { service } = loadServiceConfig(
      'iam',
      { KEYWARD_IAM_PORT: '9001', KEYWARD_IAM_HOST: '0.0.0.0', KEYWARD_ALLOW_PLAINTEXT_HTTP: 'true', NATS_URL: 'nats://a:4222,nats://b:4222', NATS_USER: 'iam', NATS_PASSWORD: 'pw', KEYWARD_REPLICA_ID: 'iam-1' },
      {},
    );
    expect(service.http).toEqual({ host: '0.0.0.0', port: 9001 });
    expect(service.nats).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'iam', password: 'pw' });
    expect(service.replicaId).toBe('iam-1');
  });

  it('stops on every bad value at once, naming each variable', () => {
    const load = () =>
      loadServiceConfig('hsm', { KEYWARD_HSM_PORT: '70000', NATS_URL: 'http://x', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://db' }, {});
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'KEYWARD_HSM_PORT', 'LOG_LEVEL', 'NATS_URL']);
      expect(message).toContain('Invalid configuration for hsm');
      expect(message).toContain('KEYWARD_HSM_PORT: must be from 0 to 65535');
    }
  });

  it('never echoes a value, which may be a secret', () => {
    const secret = 'postgresql-password-hunter2';
    try {
      loadServiceConfig('iam', { DATABASE_URL: `nope://u:${secret}@h/db`, KEYWARD_ADMIN_APIKEY: 'Zq9x!short' }, { KEYWARD_ADMIN_APIKEY: envFields.secret(20) });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('KEYWARD_ADMIN_APIKEY: must be at least 20 characters');
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).not.toContain('Zq9x!short');
    }
  });

  it('needs NATS_USER and NATS_PASSWORD together', () => {
    expect(() => loadServiceConfig('kms', { NATS_USER: 'kms' }, {})).toThrow(/NATS_PASSWORD/);
  });

  it('refuses a NATS prefix that is not one plain subject token', () => {
    expect(() => loadServiceConfig('kms', { KEYWARD_NATS_PREFIX: 'a.b' }, {})).toThrow(/KEYWARD_NATS_PREFIX/);
    expect(() => loadServiceConfig('kms', { KEYWARD_NATS_PREFIX: '>' }, {})).toThrow(/KEYWARD_NATS_PREFIX/);
  });

  it('serves plain HTTP on loopback only, unless TLS files are set or plaintext is explicitly allowed', () => {
    expect(loadServiceConfig('kms', {}, {}).service.http.tls).toBeUndefined();
    expect(() => loadServiceConfig('kms', { KEYWARD_KMS_HOST: '0.0.0.0' }, {})).toThrow(
      /KEYWARD_KMS_HOST: is not a loopback address: set KEYWARD_KMS_TLS_CERT_FILE and KEYWARD_KMS_TLS_KEY_FILE, or KEYWARD_ALLOW_PLAINTEXT_HTTP=true/,
    );
    expect(loadServiceConfig('kms', { KEYWARD_KMS_HOST: '0.0.0.0', KEYWARD_ALLOW_PLAINTEXT_HTTP: 'true' }, {}).service.http).toEqual({ host: '0.0.0.0', port: 8102 });
    const pem = __filename; // any existing file: the loader checks presence, the listener reads it
    const withTls = loadServiceConfig('kms', { KEYWARD_KMS_HOST: '0.0.0.0', KEYWARD_KMS_TLS_CERT_FILE: pem, KEYWARD_KMS_TLS_KEY_FILE: pem }, {});
    expect(withTls.service.http.tls).toEqual({ certFile: pem, keyFile: pem });
  });

  it('takes NATS TLS files, a client certificate only as a pair', () => {
    const pem = __filename;
    expect(loadServiceConfig('hsm', { NATS_TLS_CA_FILE: pem }, {}).service.nats.tls).toEqual({ caFile: pem });
    expect(() => loadServiceConfig('hsm', { NATS_TLS_CERT_FILE: pem }, {})).toThrow(/NATS_TLS_KEY_FILE: must be set together with NATS_TLS_CERT_FILE/);
    expect(() => loadServiceConfig('hsm', { NATS_TLS_CA_FILE: '/no/such/ca.pem' }, {})).toThrow(/NATS_TLS_CA_FILE: names a file that does not exist/);
  });

  it('describes its variables: the ones it reads and the ones without a default', () => {
    const names = describeEnvSchema(serviceEnvSchema('iam').extend({ KEYWARD_ADMIN_APIKEY: envFields.secret(20) }));
    expect(names.known).toEqual(expect.arrayContaining(['KEYWARD_IAM_PORT', 'NATS_URL', 'DATABASE_URL', 'KEYWARD_IAM_TLS_CERT_FILE', 'KEYWARD_ADMIN_APIKEY']));
    expect(names.required).toEqual(['KEYWARD_ADMIN_APIKEY']);
  });
});
