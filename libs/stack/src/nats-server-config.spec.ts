import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_APPS, KEYWARD_APPS, type KeywardAppName, subjectMatches } from '@keyward/contracts';
import { NATS_SERVER_CONFIG_PATH, natsPermissionsFor, renderNatsServerConfig } from './nats-server-config';

const APPS = Object.keys(KEYWARD_APPS) as KeywardAppName[];

/** Whether some allow-list pattern lets `subject` through (NATS wildcards on both sides). */
const allows = (patterns: readonly string[], subject: string) => patterns.some((pattern) => subjectMatches(pattern, subject));
const publishers = (subject: string) => APPS.filter((app) => allows(natsPermissionsFor(app).publish, subject));
const subscribers = (subject: string) => APPS.filter((app) => allows(natsPermissionsFor(app).subscribe, subject));

describe(renderNatsServerConfig.name, () => {
  it('is what deploy/nats/nats-server.conf holds (run `npm run nats:config` after changing the subject table)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', NATS_SERVER_CONFIG_PATH), 'utf8');
    expect(committed).toBe(renderNatsServerConfig());
  });

  it('reads each password from its own variable unless given one', () => {
    expect(renderNatsServerConfig()).toContain('password: $KEYWARD_NATS_PASSWORD_APP_CONFIGURATION');
    expect(renderNatsServerConfig({ passwordFor: (app) => `pw-${app}` })).toContain('password: "pw-kms"');
  });
});

describe(natsPermissionsFor.name, () => {
  it('lets only the KMS call the HSM, and only the HSM answer', () => {
    for (const subject of ['rpc.hsm.ping.v1', 'rpc.hsm.d.platform.wrap.v1', 'rpc.hsm.domains.unseal.v1']) {
      expect(publishers(subject)).toEqual(['kms']);
      expect(subscribers(subject)).toEqual(['hsm']);
    }
  });

  it('lets only IAM publish events.iam.> and only the KMS publish events.kms.>', () => {
    expect(publishers('events.iam.instance.created.v1')).toEqual(['iam']);
    expect(publishers('events.kms.key.rotated.v1')).toEqual(['kms']);
  });

  it('lets every other service call IAM, and only IAM answer', () => {
    expect(publishers('rpc.iam.authz.check.v1')).toEqual(APPS.filter((app) => app !== 'iam'));
    expect(subscribers('rpc.iam.authz.check.v1')).toEqual(['iam']);
  });

  it('lets every service hear IAM events live (cached decisions dropped at once), and only consumers the KMS key events', () => {
    expect(subscribers('events.iam.policy.changed.v1')).toEqual(APPS);
    expect(subscribers('events.kms.key.disabled.v1')).toEqual([...CONSUMER_APPS].sort((a, b) => APPS.indexOf(a) - APPS.indexOf(b)));
  });

  it('lets each user read only its own reply inbox', () => {
    for (const app of APPS) {
      const inboxes = natsPermissionsFor(app).subscribe.filter((pattern) => pattern.startsWith('_INBOX'));
      expect(inboxes).toEqual([`_INBOX.${app}.>`]);
      expect(subscribers(`_INBOX.${app}.abc`)).toEqual([app]);
    }
  });

  it('gives consumers no request subject to answer and no stream to create; events they may also hear live', () => {
    for (const app of CONSUMER_APPS) {
      const permissions = natsPermissionsFor(app);
      expect(permissions.allowResponses).toBe(false);
      expect(permissions.subscribe).toEqual([`_INBOX.${app}.>`, 'events.iam.>', 'events.kms.key.>'].sort());
      expect(permissions.publish.filter((subject) => subject.startsWith('$JS.API.STREAM.') && !subject.startsWith('$JS.API.STREAM.INFO.'))).toEqual([]);
      expect(allows(permissions.publish, '$JS.API.CONSUMER.DURABLE.CREATE.KMS_EVENTS.app')).toBe(true);
    }
  });

  it('lets only a stream publisher create or update its stream', () => {
    expect(publishers('$JS.API.STREAM.CREATE.IAM_EVENTS')).toEqual(['iam']);
    expect(publishers('$JS.API.STREAM.UPDATE.KMS_EVENTS')).toEqual(['kms']);
    expect(publishers('$JS.API.STREAM.DELETE.KMS_EVENTS')).toEqual([]);
    expect(publishers('$JS.API.STREAM.CREATE.RPC')).toEqual([]);
  });
});
