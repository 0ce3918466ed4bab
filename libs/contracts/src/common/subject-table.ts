import { HSM_SUBJECTS } from '../hsm/hsm.subjects';
import { IAM_EVENT_SUBJECTS, IAM_SUBJECTS } from '../iam/iam.subjects';
import { KMS_EVENT_SUBJECTS } from '../kms/kms.subjects';
import type { KeywardAppName } from './services';

/**
 * Who may publish and who may subscribe to what: the single source for the NATS permission
 * configuration and for docs/ARCHITECTURE.md's subject table. Patterns use NATS wildcards.
 */
export interface SubjectRule {
  pattern: string;
  kind: 'rpc' | 'event';
  publishers: readonly KeywardAppName[];
  subscribers: readonly KeywardAppName[];
  queue?: string;
}

const EVERY_SERVICE = ['iam', 'kms', 'hsm', 'app-configuration', 'schematics', 'dbaas'] as const;
const NOT_IAM = EVERY_SERVICE.filter((app) => app !== 'iam');
const CONSUMERS = ['app-configuration', 'schematics', 'dbaas'] as const;

export const SUBJECT_TABLE: readonly SubjectRule[] = [
  { pattern: HSM_SUBJECTS.ping, kind: 'rpc', publishers: ['kms'], subscribers: ['hsm'], queue: 'hsm' },
  { pattern: 'rpc.hsm.d.*.>', kind: 'rpc', publishers: ['kms'], subscribers: ['hsm'], queue: 'hsm.<domainId>' },
  { pattern: 'rpc.hsm.domains.*.v1', kind: 'rpc', publishers: ['kms'], subscribers: ['hsm'], queue: 'hsm' },
  { pattern: IAM_SUBJECTS.ping, kind: 'rpc', publishers: NOT_IAM, subscribers: ['iam'], queue: 'iam' },
  { pattern: 'rpc.iam.authz.>', kind: 'rpc', publishers: NOT_IAM, subscribers: ['iam'], queue: 'iam' },
  { pattern: 'rpc.iam.instance.>', kind: 'rpc', publishers: NOT_IAM, subscribers: ['iam'], queue: 'iam' },
  // IAM replicas also listen to their own events to drop each other's cached policies and instances.
  { pattern: 'events.iam.>', kind: 'event', publishers: ['iam'], subscribers: EVERY_SERVICE },
  { pattern: KMS_EVENT_SUBJECTS.allKeys, kind: 'event', publishers: ['kms'], subscribers: CONSUMERS },
];

/** Every concrete subject name defined in the contracts, for tests that check them against the table. */
export const CONCRETE_SUBJECTS: readonly string[] = [
  HSM_SUBJECTS.ping,
  ...Object.values(IAM_SUBJECTS),
  ...Object.values(IAM_EVENT_SUBJECTS),
];

/**
 * Each app's NATS user name is its app name, and its request inboxes live under `_INBOX.<app>.`: the
 * permission configuration lets a user read only its own replies, never another app's.
 */
export function natsUserName(app: KeywardAppName): string {
  return app;
}

export function natsInboxPrefix(app: KeywardAppName): string {
  return `_INBOX.${app}`;
}

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const patternTokens = pattern.split('.');
  const subjectTokens = subject.split('.');
  for (let i = 0; i < patternTokens.length; i++) {
    const token = patternTokens[i];
    if (token === '>') return subjectTokens.length > i;
    if (i >= subjectTokens.length) return false;
    if (token !== '*' && token !== subjectTokens[i]) return false;
  }
  return patternTokens.length === subjectTokens.length;
}
