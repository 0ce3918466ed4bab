import { Inject, Injectable } from '@nestjs/common';
import { DomainError, MAX_HSM_BATCH_ITEMS } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { Clock } from '../common/clock';
import { KMS_SETTINGS, type KmsSettings } from '../config/kms.config';
import { HsmClient } from '../hsm/hsm-client';
import { type SecureImportFields, secureImportFields } from '../import-tokens/import-token-input';
import { ImportTokensService } from '../import-tokens/import-tokens.service';
import type { KmsInstance } from '../instances/instance.repository';
import { aadField, base64Field, ciphertextField, objectBody, plaintextField } from '../keys/key-input';
import { KEY_STATE, effectiveState } from '../keys/key-view';
import type { KeyRow } from '../keys/keys.repository';
import { KeysRepository } from '../keys/keys.repository';
import { KeysService } from '../keys/keys.service';

/** Key Protect's batch limits (KEY-PROTECT-API.md §10): 1,000 items per request. */
export const MAX_BATCH_ITEMS = 1000;
/** At most this many items per HSM call… */
export const HSM_BATCH_CHUNK = 250;
/**
 * …and at most this many estimated bytes: NATS refuses messages over 1 MB, and an item's reply can be
 * about twice its request (an unwrap answers the plaintext and, after a rotation, a new ciphertext).
 * Items are large when they carry a 7,168-byte DEK or many AAD entries, so chunks are cut by size too.
 */
export const HSM_BATCH_BUDGET_BYTES = 900_000;

/** Splits items into HSM calls under both limits, keeping their order. */
export function chunkForHsm<T extends { request: unknown }>(pending: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of pending) {
    // The request as JSON, and room for a reply up to twice as large.
    const cost = 3 * JSON.stringify(item.request).length + 256;
    if (current.length > 0 && (current.length >= HSM_BATCH_CHUNK || bytes + cost > HSM_BATCH_BUDGET_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const ROOT_ONLY = 'The requested action can only be completed with a root key';

/** Actions on one key: wrap/unwrap/rewrap (and batches), rotate, disable, enable (§2, §4). */
@Injectable()
export class KeyActionsService {
  constructor(
    private readonly keysService: KeysService,
    private readonly keys: KeysRepository,
    private readonly hsm: HsmClient,
    private readonly clock: Clock,
    @Inject(KMS_SETTINGS) private readonly settings: KmsSettings,
    private readonly importTokens: ImportTokensService,
  ) {}

  async wrap(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const input = objectBody(body, { required: false });
    const plaintext = plaintextField(input);
    const aad = aadField(input);
    const key = await this.usableKey(caller, instance, id, 'secrets.wrap', [KEY_STATE.active]);
    const result = await this.hsm.op(key.hsmDomainId, 'wrap', { keyId: key.id, ...(plaintext ? { plaintext } : {}), ...(aad ? { aad } : {}) });
    const known = await this.knowing(key, [result.keyVersion]);
    return {
      ...(result.plaintext ? { plaintext: result.plaintext } : {}),
      ciphertext: result.ciphertext,
      keyVersion: this.versionRef(known, result.keyVersion),
    };
  }

  async unwrap(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const input = objectBody(body, { required: true });
    const ciphertext = ciphertextField(input);
    const aad = aadField(input);
    const key = await this.usableKey(caller, instance, id, 'secrets.unwrap', [KEY_STATE.active, KEY_STATE.deactivated]);
    const result = await this.hsm.op(key.hsmDomainId, 'unwrap', { keyId: key.id, ciphertext, ...(aad ? { aad } : {}) });
    const known = await this.knowing(key, [result.keyVersion, ...(result.rewrapped ? [result.rewrapped.keyVersion] : [])]);
    return {
      plaintext: result.plaintext,
      keyVersion: this.versionRef(known, result.keyVersion),
      ...(result.rewrapped ? { ciphertext: result.rewrapped.ciphertext, rewrappedKeyVersion: this.versionRef(known, result.rewrapped.keyVersion) } : {}),
    };
  }

  async rewrap(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const input = objectBody(body, { required: true });
    const ciphertext = ciphertextField(input);
    const aad = aadField(input);
    const key = await this.usableKey(caller, instance, id, 'secrets.rewrap', [KEY_STATE.active, KEY_STATE.deactivated]);
    const result = await this.hsm.op(key.hsmDomainId, 'rewrap', { keyId: key.id, ciphertext, ...(aad ? { aad } : {}) });
    const known = await this.knowing(key, [result.unwrappedVersion ?? result.keyVersion, result.keyVersion]);
    // As Key Protect: `keyVersion` is the version the given ciphertext was made with, `rewrappedKeyVersion` the new one's.
    return {
      ciphertext: result.ciphertext,
      keyVersion: this.versionRef(known, result.unwrappedVersion ?? result.keyVersion),
      rewrappedKeyVersion: this.versionRef(known, result.keyVersion),
    };
  }

  /**
   * Keyward's batch wrap (§10): every item validated here (bad items answer an error in place), the
   * rest sent to the HSM in chunks under the NATS message limit, results in request order.
   */
  async wrapBatch(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const items = batchItems(body);
    const key = await this.usableKey(caller, instance, id, 'secrets.wrap', [KEY_STATE.active]);
    return this.batch(key, 'wrap.batch', items, (item) => {
      const plaintext = plaintextField(item);
      const aad = aadField(item);
      return { keyId: key.id, ...(plaintext ? { plaintext } : {}), ...(aad ? { aad } : {}) };
    }, (result, known) => ({
      ...(result['plaintext'] ? { plaintext: result['plaintext'] } : {}),
      ciphertext: result['ciphertext'],
      keyVersion: this.versionRef(known, result['keyVersion'] as number),
    }));
  }

  async unwrapBatch(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown) {
    const items = batchItems(body);
    const key = await this.usableKey(caller, instance, id, 'secrets.unwrap', [KEY_STATE.active, KEY_STATE.deactivated]);
    return this.batch(key, 'unwrap.batch', items, (item) => {
      const ciphertext = ciphertextField(item);
      const aad = aadField(item);
      return { keyId: key.id, ciphertext, ...(aad ? { aad } : {}) };
    }, (result, known) => {
      const rewrapped = result['rewrapped'] as { ciphertext: string; keyVersion: number } | undefined;
      return {
        plaintext: result['plaintext'],
        keyVersion: this.versionRef(known, result['keyVersion'] as number),
        ...(rewrapped ? { ciphertext: rewrapped.ciphertext, rewrappedKeyVersion: this.versionRef(known, rewrapped.keyVersion) } : {}),
      };
    });
  }

  /** 1 or 3, root keys only, at most once per KEYWARD_KMS_ROTATION_INTERVAL_MS; imported keys need a payload. */
  async rotate(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<void> {
    const input = objectBody(body, { required: false });
    // Through an import token, `payload` is RSA-OAEP ciphertext: its size is checked by the HSM once opened.
    const secure = secureImportFields(input, instance);
    const payload = secure ? undefined : base64Field(input, 'payload');
    const size = payload?.length;
    payload?.fill(0);
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.rotate');
    if (key.extractable) throw new DomainError('KEY_ROOT_REQ_ERR', ROOT_ONLY);
    this.requireState(key, [KEY_STATE.active, KEY_STATE.deactivated]);
    if (key.imported && !payload && !secure) throw new DomainError('KEY_PAYLOAD_REQ_ERR');
    if (!key.imported && (payload ?? secure)) {
      throw new DomainError('INVALID_FIELD_ERR', 'A generated key is rotated without a payload', { target: { type: 'field', name: 'payload' } });
    }
    // New material may have another size than the old (the official Node test rotates a 128-bit import with 256 bits).
    if (size !== undefined && ![16, 24, 32].includes(size)) {
      throw new DomainError('INVALID_FIELD_ERR', 'payload must be 128, 192 or 256 bits', { target: { type: 'field', name: 'payload' } });
    }
    await this.rotateKey(key, secure ? { secure, instance } : payload ? { plain: input['payload'] as string } : undefined);
  }

  /**
   * The rotation itself, for a key already authorized and checked: the API above and the rotation
   * policy scheduler (policies/rotation.scheduler.ts) both come through here. Imported keys bring
   * their new material, in plain form or through the instance's import token.
   */
  async rotateKey(key: KeyRow, material?: { plain: string } | { secure: SecureImportFields; instance: KmsInstance }): Promise<void> {
    const now = this.clock.now();
    if (key.lastRotateDate && now.getTime() - key.lastRotateDate.getTime() < this.settings.windows.rotationIntervalMs) {
      throw new DomainError('KEY_ROTATION_NOT_PERMITTED');
    }
    const rotated =
      material && 'secure' in material
        ? await this.importTokens.importThrough(material.instance, material.secure, (payload) => this.hsm.op(key.hsmDomainId, 'key.rotate', { keyId: key.id, payload }))
        : await this.hsm.op(key.hsmDomainId, 'key.rotate', {
            keyId: key.id,
            ...(material ? { payload: { material: material.plain } } : {}),
          });
    await this.keys.addVersion(key.id, rotated.version, now, rotated.bits);
  }

  /** 1 → 2: the HSM suspends the key first (it then refuses every use on every replica). */
  async disable(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<void> {
    objectBody(body, { required: false });
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.disable');
    if (key.extractable) throw new DomainError('KEY_ROOT_REQ_ERR', ROOT_ONLY);
    this.requireState(key, [KEY_STATE.active]);
    await this.hsm.op(key.hsmDomainId, 'key.set-state', { keyId: key.id, state: 'suspended' });
    const now = this.clock.now();
    if (!(await this.keys.updateIf(key.id, KEY_STATE.active, { state: KEY_STATE.suspended, lastStateChange: now, lastUpdateDate: now }))) {
      throw new DomainError('KEY_ACTION_INVALID_STATE_ERR');
    }
  }

  /** 2 → 1, no sooner than KEYWARD_KMS_ENABLE_WAIT_MS after the disable. */
  async enable(caller: AuthenticatedCaller, instance: KmsInstance, id: string, body: unknown): Promise<void> {
    objectBody(body, { required: false });
    const key = await this.keysService.authorizedKey(caller, instance, id, 'secrets.enable');
    this.requireState(key, [KEY_STATE.suspended]);
    const now = this.clock.now();
    if (now.getTime() - key.lastStateChange.getTime() < this.settings.windows.enableWaitMs) {
      throw new DomainError('REQ_TOO_EARLY_ERR');
    }
    await this.hsm.op(key.hsmDomainId, 'key.set-state', { keyId: key.id, state: 'active' });
    if (!(await this.keys.updateIf(key.id, KEY_STATE.suspended, { state: KEY_STATE.active, lastStateChange: now, lastUpdateDate: now }))) {
      throw new DomainError('KEY_ACTION_INVALID_STATE_ERR');
    }
  }

  private async usableKey(caller: AuthenticatedCaller, instance: KmsInstance, id: string, action: 'secrets.wrap' | 'secrets.unwrap' | 'secrets.rewrap', states: number[]) {
    const key = await this.keysService.authorizedKey(caller, instance, id, action);
    if (key.extractable) throw new DomainError('KEY_ROOT_REQ_ERR', ROOT_ONLY);
    this.requireState(key, states);
    return key;
  }

  private requireState(key: KeyRow, allowed: number[]): void {
    const state = effectiveState(key, this.clock.now());
    if (!allowed.includes(state)) {
      throw new DomainError('KEY_ACTION_INVALID_STATE_ERR', `Key is not in a state that allows this action (state ${state})`);
    }
  }

  /** The Key Protect version id (a UUID) of an HSM version number. */
  /**
   * The key with every version the HSM just answered with. The wrap path reads keys through a
   * short-lived cache, so a rotation made through another replica may be newer than the row: then read
   * it again (once).
   */
  private async knowing(key: KeyRow, versions: number[]): Promise<KeyRow> {
    if (versions.every((version) => key.versions.some((known) => known.version === version))) return key;
    return (await this.keys.find(key.instanceGuid, key.id)) ?? key;
  }

  private versionRef(key: KeyRow, version: number): { id: string } {
    const found = key.versions.find((v) => v.version === version);
    // A version the HSM made after this request read the key (a rotation committing right now): fall back to the number.
    return { id: found?.id ?? String(version) };
  }

  private async batch(
    key: KeyRow,
    op: 'wrap.batch' | 'unwrap.batch',
    items: Record<string, unknown>[],
    toHsm: (item: Record<string, unknown>) => unknown,
    toResult: (result: Record<string, unknown>, known: KeyRow) => unknown,
  ) {
    const results: unknown[] = new Array(items.length);
    const answered: { index: number; result: Record<string, unknown> }[] = [];
    const pending: { index: number; request: unknown }[] = [];
    items.forEach((item, index) => {
      try {
        if (item === NOT_AN_OBJECT) throw new DomainError('BAD_BODY_ERR', 'Each item must be a JSON object');
        pending.push({ index, request: toHsm(item) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results[index] = { error: { code: error.code, message: error.message } };
      }
    });
    for (const chunk of chunkForHsm(pending)) {
      const reply = await this.hsm.op(key.hsmDomainId, op, { items: chunk.map((p) => p.request) });
      reply.results.forEach((answer, j) => {
        const index = (chunk[j] as { index: number }).index;
        if (answer.ok) answered.push({ index, result: answer.result as Record<string, unknown> });
        else results[index] = { error: { code: answer.error.code, message: answer.error.message } };
      });
    }
    const versions = answered.flatMap(({ result }) => [result['keyVersion'] as number, ...(result['rewrapped'] ? [(result['rewrapped'] as { keyVersion: number }).keyVersion] : [])]);
    const known = await this.knowing(key, [...new Set(versions)]);
    for (const { index, result } of answered) results[index] = toResult(result, known);
    return { results };
  }
}

/** Marks a batch item that is not a JSON object: it answers BAD_BODY_ERR in place (never a generated DEK). */
const NOT_AN_OBJECT: Record<string, unknown> = Object.freeze({});

function batchItems(body: unknown): Record<string, unknown>[] {
  const input = objectBody(body, { required: true });
  const items = input['items'];
  if (!Array.isArray(items) || items.length === 0) {
    throw new DomainError('INVALID_FIELD_ERR', 'items must be a non-empty array', { target: { type: 'field', name: 'items' } });
  }
  if (items.length > Math.min(MAX_BATCH_ITEMS, MAX_HSM_BATCH_ITEMS)) {
    throw new DomainError('INVALID_FIELD_ERR', `items may have at most ${MAX_BATCH_ITEMS} entries`, { target: { type: 'field', name: 'items' } });
  }
  return items.map((item) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : NOT_AN_OBJECT));
}
