import {
  KEYWARD_APPS,
  type KeywardAppName,
  STREAMS,
  SUBJECT_TABLE,
  type StreamSpec,
  natsInboxPrefix,
  natsPasswordEnvName,
  natsUserName,
  subjectMatches,
} from '@keyward/contracts';

/** One NATS user's permissions, derived from SUBJECT_TABLE and STREAMS (libs/contracts). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** Responders may publish to the reply subject of a request they received, once, and nowhere else. */
  allowResponses: boolean;
}

const APPS = Object.keys(KEYWARD_APPS) as KeywardAppName[];

/** The streams that hold the events of a subject-table pattern (a stream captures the whole pattern). */
function streamsCovering(pattern: string): StreamSpec[] {
  return Object.values(STREAMS).filter((stream) => stream.subjects.some((subject) => subjectMatches(subject, pattern.replace(/>$/, 'x'))));
}

/** What `app` needs to create/update the streams it publishes to (ensureStreams at start). */
function streamOwnerApi(stream: string): string[] {
  return [`$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`, `$JS.API.STREAM.UPDATE.${stream}`];
}

/** What a durable pull consumer of `stream` needs: create/inspect its consumer, fetch, acknowledge. */
function streamReaderApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
}

/**
 * Exactly what `app` may publish and subscribe to: the subject table's rows where it is a publisher or
 * a subscriber (events both live and through their stream), the JetStream API calls for its own
 * streams and the streams it reads, and its own reply inbox. Nothing else: deny by default.
 */
export function natsPermissionsFor(app: KeywardAppName): NatsPermissions {
  const publish = new Set<string>();
  const subscribe = new Set<string>([`${natsInboxPrefix(app)}.>`]);
  let allowResponses = false;
  for (const rule of SUBJECT_TABLE) {
    if (rule.publishers.includes(app)) publish.add(rule.pattern);
    if (!rule.subscribers.includes(app)) continue;
    subscribe.add(rule.pattern);
    if (rule.kind === 'rpc') {
      allowResponses = true;
    } else {
      // Events: durable processing reads the stream; a live (core) subscription is for signals every
      // replica must see at once, such as dropping cached IAM decisions on events.iam.policy.changed.v1.
      for (const stream of streamsCovering(rule.pattern)) streamReaderApi(stream.name).forEach((subject) => publish.add(subject));
    }
  }
  for (const stream of Object.values(STREAMS)) {
    if (stream.publisher === app) streamOwnerApi(stream.name).forEach((subject) => publish.add(subject));
  }
  if ([...publish].some((subject) => subject.startsWith('$JS.'))) publish.add('$JS.API.INFO');
  return { publish: [...publish].sort(), subscribe: [...subscribe].sort(), allowResponses };
}

export interface NatsServerConfigOptions {
  port?: number;
  jetstreamStoreDir?: string;
  /** Each user's password as a literal, or (default) a `$KEYWARD_NATS_PASSWORD_<APP>` reference that nats-server reads from its environment. */
  passwordFor?: (app: KeywardAppName) => string;
}

const quote = (value: string) => JSON.stringify(value);
const list = (values: readonly string[]) => `[${values.map(quote).join(', ')}]`;

/**
 * A nats-server configuration with one user per app and the permissions above. The committed
 * deploy/nats/nats-server.conf is this function's output (a test keeps them equal); docker-compose
 * mounts it, and the permissions integration test runs a nats-server with it.
 */
export function renderNatsServerConfig(options: NatsServerConfigOptions = {}): string {
  const passwordFor = options.passwordFor ?? ((app: KeywardAppName) => `$${natsPasswordEnvName(app)}`);
  const users = APPS.map((app) => {
    const permissions = natsPermissionsFor(app);
    const password = passwordFor(app);
    return [
      '    {',
      `      user: ${quote(natsUserName(app))}`,
      `      password: ${password.startsWith('$') ? password : quote(password)}`,
      '      permissions: {',
      `        publish: { allow: ${list(permissions.publish)} }`,
      `        subscribe: { allow: ${list(permissions.subscribe)} }`,
      ...(permissions.allowResponses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    ].join('\n');
  });
  return [
    '# Generated from libs/contracts (SUBJECT_TABLE, STREAMS) by `npm run nats:config`. Do not edit by hand:',
    '# a test fails when this file and the generator disagree.',
    '# One user per Keyward app; passwords come from the environment (KEYWARD_NATS_PASSWORD_<APP>).',
    '# nats-server parses a variable as a config value: use letters and digits, starting with a letter.',
    `port: ${options.port ?? 4222}`,
    `jetstream: { store_dir: ${quote(options.jetstreamStoreDir ?? '/data/jetstream')} }`,
    'authorization: {',
    '  users: [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** Where the generated configuration is committed, relative to the repository root. */
export const NATS_SERVER_CONFIG_PATH = 'deploy/nats/nats-server.conf';
