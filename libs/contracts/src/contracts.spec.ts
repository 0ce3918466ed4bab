import {
  CONCRETE_SUBJECTS,
  DomainError,
  ERROR_TABLE,
  HSM_DOMAIN_OPS,
  HSM_SUBJECTS,
  KMS_EVENT_SUBJECTS,
  KMS_KEY_EVENT_TYPES,
  STREAMS,
  SUBJECT_TABLE,
  serviceApiKeyEnvName,
  subjectMatches,
} from './index';

describe('error table', () => {
  it.each(Object.entries(ERROR_TABLE))('%s has an HTTP error status and a message', (_code, spec) => {
    expect(spec.status).toBeGreaterThanOrEqual(400);
    expect(spec.status).toBeLessThan(600);
    expect(spec.message.length).toBeGreaterThan(0);
  });

  it('gives the Key Protect statuses the official clients expect', () => {
    expect(ERROR_TABLE.KEY_NOT_FOUND_ERR.status).toBe(404);
    expect(ERROR_TABLE.UNPROCESSABLE_CIPHERTEXT_ERR.status).toBe(422);
    expect(ERROR_TABLE.DOMAIN_SEALED_ERR.status).toBe(409);
    expect(ERROR_TABLE.UNAUTHORIZED_ERR.status).toBe(401);
    expect(ERROR_TABLE.SERVICE_ONLY_ERR.status).toBe(403);
  });

  it('survives the NATS wire as the same coded error', () => {
    const original = new DomainError('KEY_NOT_FOUND_ERR', 'key abc does not exist', { target: { type: 'field', name: 'id' } });
    const copy = DomainError.fromWire(JSON.parse(JSON.stringify(original.toWire())));
    expect(copy).toBeInstanceOf(DomainError);
    expect(copy).toMatchObject({ code: 'KEY_NOT_FOUND_ERR', status: 404, message: 'key abc does not exist', target: { name: 'id' } });
  });

  it('does not accept an unknown code from the wire', () => {
    expect(DomainError.fromWire({ code: 'MADE_UP_ERR', message: 'x' })).toBeUndefined();
    expect(DomainError.fromWire('Internal server error')).toBeUndefined();
  });
});

describe('subjects and streams', () => {
  it('matches NATS wildcards as the server does', () => {
    expect(subjectMatches('rpc.iam.authz.>', 'rpc.iam.authz.check.v1')).toBe(true);
    expect(subjectMatches('rpc.iam.authz.*', 'rpc.iam.authz.check.v1')).toBe(false);
    expect(subjectMatches('rpc.hsm.d.*.>', 'rpc.hsm.d.platform.wrap.v1')).toBe(true);
    expect(subjectMatches('rpc.hsm.d.*.>', 'rpc.hsm.d.platform')).toBe(false);
    expect(subjectMatches('events.kms.key.>', 'events.kms.key.rotated.v1')).toBe(true);
  });

  const allSubjects = [
    ...CONCRETE_SUBJECTS,
    ...HSM_DOMAIN_OPS.map((op) => HSM_SUBJECTS.domainOp('platform', op)),
    ...KMS_KEY_EVENT_TYPES.map((type) => KMS_EVENT_SUBJECTS.key(type)),
    HSM_SUBJECTS.domains('unseal'),
  ];

  it.each(allSubjects)('%s is covered by exactly one rule of the subject table', (subject) => {
    expect(SUBJECT_TABLE.filter((rule) => subjectMatches(rule.pattern, subject))).toHaveLength(1);
  });

  it('only the KMS publishes rpc.hsm.*', () => {
    for (const rule of SUBJECT_TABLE.filter((r) => r.pattern.startsWith('rpc.hsm.'))) {
      expect(rule.publishers).toEqual(['kms']);
      expect(rule.subscribers).toEqual(['hsm']);
    }
  });

  it.each(Object.values(STREAMS))('stream $name captures events only, never rpc.> or _INBOX.>', (stream) => {
    for (const subject of stream.subjects) {
      expect(subject.startsWith('events.')).toBe(true);
      for (const probe of ['rpc.hsm.ping.v1', 'rpc.iam.authz.check.v1', '_INBOX.abc.def']) {
        expect(subjectMatches(subject, probe)).toBe(false);
      }
    }
  });

  it('refuses a domain id that would inject subject tokens', () => {
    expect(() => HSM_SUBJECTS.domainOp('platform.>', 'wrap')).toThrow();
    expect(() => HSM_SUBJECTS.domainWildcard('*')).toThrow();
    expect(HSM_SUBJECTS.domainOp('0b2f7c1e-4a5d-4e8b-9c3f-1a2b3c4d5e6f', 'unwrap')).toBe(
      'rpc.hsm.d.0b2f7c1e-4a5d-4e8b-9c3f-1a2b3c4d5e6f.unwrap.v1',
    );
  });
});

describe('service identities', () => {
  it('names service API key variables as DESIGN.md does', () => {
    expect(serviceApiKeyEnvName('hyperp-dbaas-postgresql')).toBe('KEYWARD_SERVICE_APIKEY_HYPERP_DBAAS_POSTGRESQL');
    expect(serviceApiKeyEnvName('hs-crypto')).toBe('KEYWARD_SERVICE_APIKEY_HS_CRYPTO');
  });
});
