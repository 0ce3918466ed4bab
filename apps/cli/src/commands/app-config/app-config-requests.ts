import { parseCrn } from '@keyward/contracts';
import { usageError } from '../../cli-error';

/** The KMS services an App Configuration integration can use (docs/consumers/app-configuration.md). */
export const KMS_SERVICES = ['kms', 'hs-crypto'] as const;
export type KmsService = (typeof KMS_SERVICES)[number];

export const FLAG_TYPES = ['BOOLEAN', 'STRING', 'NUMERIC'] as const;

/** Paths are under the instance: /apprapp/feature/v1/instances/{guid}. */
export const instancePath = (guid: string, suffix: string): string => `/apprapp/feature/v1/instances/${encodeURIComponent(guid)}${suffix}`;

/** `--service`, or the service the root key's CRN names (`crn:v1:…:kms:…` or `…:hs-crypto:…`). */
export function integrationService(service: string | undefined, rootKeyCrn: string): KmsService {
  const chosen = service?.trim().toLowerCase() ?? parseCrn(rootKeyCrn)?.service;
  if (chosen === 'kp' || chosen === 'key-protect') return 'kms';
  if (chosen === 'hpcs') return 'hs-crypto';
  if (!chosen || !(KMS_SERVICES as readonly string[]).includes(chosen)) {
    throw usageError(`Unknown KMS service "${service ?? chosen ?? ''}"`, 'Use --service kms (Key Protect) or --service hs-crypto (Hyper Protect Crypto Services)');
  }
  return chosen as KmsService;
}

/** `POST /integrations`: the root key's CRN, its service and (when given) its instance. */
export function integrationBody(input: { rootKeyCrn: string; service?: string; kmsInstanceId?: string }) {
  return {
    service: integrationService(input.service, input.rootKeyCrn),
    root_key_crn: input.rootKeyCrn,
    ...(input.kmsInstanceId ? { kms_instance_id: input.kmsInstanceId } : {}),
  };
}

/** A value from `k=v`: `true`/`false` are booleans, a number is a number, anything else text. */
export function scalar(text: string): string | number | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.trim() !== '' && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  return text;
}

/** Repeatable `--attr name=value` → `{name: value}` (values as `scalar`). */
export function collectAttr(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function entityAttributes(pairs: readonly string[]): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--attr must be name=value, got "${pair}"`);
    attributes[pair.slice(0, at).trim()] = scalar(pair.slice(at + 1));
  }
  return attributes;
}

/** `--rule "ATTRIBUTE OPERATOR VALUE[,VALUE…]"` → a segment rule (values comma-separated). */
export function segmentRule(text: string): { attribute_name: string; operator: string; values: (string | number)[] } {
  const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(text);
  if (!match) throw usageError(`--rule must be "ATTRIBUTE OPERATOR VALUE[,VALUE…]", got "${text}"`, 'e.g. --rule "email endsWith @example.com"');
  const [, attribute, operator, values] = match as unknown as [string, string, string, string];
  const numeric = /^(greater|less|lesser)/i.test(operator);
  return {
    attribute_name: attribute,
    operator,
    values: values.split(',').map((v) => (numeric && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v.trim()) : v.trim())),
  };
}

/** `--segment-rule SEGMENT[+SEGMENT…]=VALUE` (repeatable, in order) → the feature's segment_rules. */
export function featureSegmentRules(pairs: readonly string[], type: string): { rules: { segments: string[] }[]; value: string | number | boolean; order: number }[] {
  return pairs.map((pair, i) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--segment-rule must be SEGMENT=VALUE, got "${pair}"`);
    return { rules: [{ segments: pair.slice(0, at).split('+').map((s) => s.trim()) }], value: flagValue(pair.slice(at + 1), type, '--segment-rule'), order: i + 1 };
  });
}

/** A flag value of its type: BOOLEAN true/false, NUMERIC a number, STRING the text. */
export function flagValue(text: string, type: string, flag: string): string | number | boolean {
  if (type === 'BOOLEAN') {
    if (text !== 'true' && text !== 'false') throw usageError(`${flag} must be true or false for a BOOLEAN feature`);
    return text === 'true';
  }
  if (type === 'NUMERIC') {
    if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw usageError(`${flag} must be a number for a NUMERIC feature`);
    return Number(text);
  }
  return text;
}

export function flagType(value: string | undefined): string {
  const type = (value ?? 'BOOLEAN').toUpperCase();
  if (!(FLAG_TYPES as readonly string[]).includes(type)) throw usageError(`Unknown feature type "${value}"`, `Use one of ${FLAG_TYPES.join(', ')}`);
  return type;
}

export interface FeatureOptions {
  name?: string;
  type?: string;
  enabledValue?: string;
  disabledValue?: string;
  enabled?: boolean;
  rollout?: string;
  segmentRule: string[];
}

/** `POST /environments/{env}/features`. Defaults: BOOLEAN, true/false, disabled, 100 %. */
export function featureBody(id: string, options: FeatureOptions) {
  const type = flagType(options.type);
  const defaults = type === 'BOOLEAN' ? ['true', 'false'] : type === 'NUMERIC' ? ['1', '0'] : ['on', 'off'];
  const rollout = options.rollout === undefined ? 100 : Number(options.rollout);
  if (!Number.isInteger(rollout) || rollout < 0 || rollout > 100) throw usageError('--rollout must be an integer from 0 to 100');
  return {
    feature_id: id,
    name: options.name ?? id,
    type,
    enabled_value: flagValue(options.enabledValue ?? (defaults[0] as string), type, '--enabled-value'),
    disabled_value: flagValue(options.disabledValue ?? (defaults[1] as string), type, '--disabled-value'),
    enabled: options.enabled === true,
    rollout_percentage: rollout,
    segment_rules: featureSegmentRules(options.segmentRule, type),
  };
}
