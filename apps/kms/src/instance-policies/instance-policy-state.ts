import { BlockList, isIP } from 'node:net';

/** The six instance policy types of KEY-PROTECT-API.md §3, as `policy_type` and `?policy=` spell them. */
export const INSTANCE_POLICY_TYPES = ['dualAuthDelete', 'allowedNetwork', 'allowedIP', 'keyCreateImportAccess', 'rotation', 'metrics'] as const;
export type InstancePolicyType = (typeof INSTANCE_POLICY_TYPES)[number];

export interface CreateImportAccess {
  create_root_key: boolean;
  create_standard_key: boolean;
  import_root_key: boolean;
  import_standard_key: boolean;
  enforce_token: boolean;
}

/** What the enabled instance policies demand, read once per request (the guard) or per scheduler pass. */
export interface InstancePolicyState {
  dualAuthDelete: boolean;
  /** Only when allowedNetwork is enabled. */
  allowedNetwork?: 'public-and-private' | 'private-only';
  /** Only when allowedIP is enabled: the caller's address must be in one of these. */
  allowedIp?: string[];
  /** Only when keyCreateImportAccess is enabled. */
  createImportAccess?: CreateImportAccess;
  /** Only when the rotation policy is enabled: the default for root keys without a rotation policy of their own. */
  rotationIntervalMonth?: number;
  metrics: boolean;
}

export const NO_INSTANCE_POLICIES: InstancePolicyState = { dualAuthDelete: false, metrics: false };

export interface StoredInstancePolicy {
  policyType: string;
  enabled: boolean;
  attributes: unknown;
}

/** Folds the stored rows into what is in force (disabled policies demand nothing). */
export function instancePolicyState(rows: StoredInstancePolicy[]): InstancePolicyState {
  const state: InstancePolicyState = { ...NO_INSTANCE_POLICIES };
  for (const row of rows) {
    if (!row.enabled) continue;
    const attributes = (row.attributes ?? {}) as Record<string, unknown>;
    switch (row.policyType) {
      case 'dualAuthDelete':
        state.dualAuthDelete = true;
        break;
      case 'metrics':
        state.metrics = true;
        break;
      case 'allowedNetwork':
        state.allowedNetwork = attributes['allowed_network'] === 'private-only' ? 'private-only' : 'public-and-private';
        break;
      case 'allowedIP':
        state.allowedIp = (attributes['allowed_ip'] as string[] | undefined) ?? [];
        break;
      case 'keyCreateImportAccess':
        state.createImportAccess = { ...DEFAULT_CREATE_IMPORT_ACCESS, ...(attributes as Partial<CreateImportAccess>) };
        break;
      case 'rotation':
        state.rotationIntervalMonth = Number(attributes['interval_month']);
        break;
    }
  }
  return state;
}

export const DEFAULT_CREATE_IMPORT_ACCESS: CreateImportAccess = {
  create_root_key: true,
  create_standard_key: true,
  import_root_key: true,
  import_standard_key: true,
  enforce_token: false,
};

/**
 * `a.b.c.d`, `a.b.c.d/n`, IPv6 and IPv6/n. Returns a BlockList of the entries, or the first entry
 * that is not one of those.
 */
export function parseAllowedIps(entries: string[]): { list: BlockList } | { bad: string } {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return { bad: entry };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return { bad: entry };
    list.addSubnet(address, bits, type);
  }
  return { list };
}

/** Whether `address` (as the socket reports it, IPv4-mapped IPv6 included) is in the allowed list. */
export function ipAllowed(allowed: string[], address: string | undefined): boolean {
  if (!address) return false;
  const parsed = parseAllowedIps(allowed);
  if ('bad' in parsed) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped?.[1] ?? address;
  const family = isIP(plain);
  if (family === 0) return false;
  return parsed.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}
