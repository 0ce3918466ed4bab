import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { type RunningService, ConfigError } from '@keyward/platform';
import { type NatsServerProcess, type SuiteContext, createSuiteContext, startNatsServer } from '@keyward/testing';
import { startSchematics } from './start-schematics';

/** GET over HTTPS trusting only `ca`: the status and body, or the TLS/connection error. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// One app with TLS on both sides: HTTPS for its API and a TLS connection to a nats-server that
// requires it. The certificate is made here, for 127.0.0.1, and trusted only by this test.
describe('TLS for HTTP and NATS (schematics)', () => {
  let suite: SuiteContext;
  let nats: NatsServerProcess;
  let app: RunningService;
  let cert: string;
  let certFile: string;
  let keyFile: string;

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'keyward-test' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      ],
    });
    cert = pems.cert;
    nats = await startNatsServer({
      render: ({ port, dir }) => {
        certFile = join(dir, 'cert.pem');
        keyFile = join(dir, 'key.pem');
        writeFileSync(certFile, pems.cert);
        writeFileSync(keyFile, pems.private, { mode: 0o600 });
        return `port: ${port}\njetstream: { store_dir: "${dir}" }\ntls: { cert_file: "${certFile}", key_file: "${keyFile}" }\n`;
      },
    });
    suite = await createSuiteContext(['schematics']);
    app = await startSchematics(
      suite.envFor('schematics', {
        NATS_URL: `tls://127.0.0.1:${nats.port}`,
        NATS_TLS_CA_FILE: certFile,
        KEYWARD_SCHEMATICS_TLS_CERT_FILE: certFile,
        KEYWARD_SCHEMATICS_TLS_KEY_FILE: keyFile,
        // No KMS or IAM here: their checks are down, which leaves the app degraded, not down.
        KEYWARD_KMS_URL: 'http://127.0.0.1:1',
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
    await suite?.dispose();
    await nats?.stop();
  });

  it('serves HTTPS with the configured certificate, and its NATS connection is up over TLS', async () => {
    expect(app.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await httpsGet(`${app.url}/health`, cert);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ status: 'degraded', checks: { nats: { status: 'ok' }, database: { status: 'ok' }, kms: { status: 'down' } } });
  });

  it('connects to NATS with TLS (the server reports the TLS version of every schematics connection)', async () => {
    const connz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/connz`)).json()) as { connections: { name?: string; tls_version?: string }[] };
    const own = connz.connections.filter((connection) => connection.name?.startsWith('schematics/'));
    expect(own.length).toBeGreaterThan(0);
    for (const connection of own) expect(connection.tls_version).toMatch(/^1\.[23]$/);
  });

  it('refuses plain HTTP on the HTTPS port', async () => {
    const plain = app.url.replace('https://', 'http://');
    const outcome = await fetch(`${plain}/health`).then((response) => `answered ${response.status}`, () => 'refused');
    expect(outcome).not.toBe('answered 200');
  });

  it('is not trusted by a client without the certificate', async () => {
    await expect(httpsGet(`${app.url}/health`, '')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('stops at start when a TLS file is missing or half the pair is set, naming the variable', () => {
    const load = (extra: Record<string, string>) => () => startSchematics(suite.envFor('schematics', extra));
    return Promise.all([
      expect(load({ NATS_TLS_CA_FILE: join(nats.dir, 'absent.pem') })()).rejects.toThrow(/NATS_TLS_CA_FILE: names a file that does not exist/),
      expect(load({ KEYWARD_SCHEMATICS_TLS_CERT_FILE: certFile })()).rejects.toThrow(
        /KEYWARD_SCHEMATICS_TLS_KEY_FILE: must be set together with KEYWARD_SCHEMATICS_TLS_CERT_FILE/,
      ),
      expect(load({ KEYWARD_SCHEMATICS_HOST: '0.0.0.0' })()).rejects.toBeInstanceOf(ConfigError),
    ]);
  });
});
