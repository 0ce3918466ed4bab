import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, type ImportMaterial } from '@keyward/contracts';
import type { AuthenticatedCaller } from '@keyward/platform';
import { KmsAccess } from '../access/kms-access';
import { Clock } from '../common/clock';
import { HsmClient } from '../hsm/hsm-client';
import type { KmsInstance } from '../instances/instance.repository';
import { rfc3339 } from '../keys/key-view';
import { type SecureImportFields, importTokenPolicy } from './import-token-input';
import { type ImportTokenRow, ImportTokensRepository } from './import-tokens.repository';

/** Key Protect's nonce: 12 random bytes (KEY-PROTECT-API.md §3). */
const NONCE_BYTES = 12;
/** An RSA-4096 key pair takes the HSM seconds (more on a busy machine): far above the usual RPC timeout. */
const KEY_PAIR_TIMEOUT_MS = 60_000;

/**
 * Import tokens and secure import (BYOK). The KMS keeps the token's policy, counters and nonce; the
 * RSA key pair is made and kept in the instance's HSM domain, which alone decrypts the payload and
 * checks the encrypted nonce. Rules (docs/KMS.md "Secure import"):
 * - one token per instance; POST replaces it (new key pair, new nonce);
 * - GET uses up one of `maxAllowedRetrievals`; none left, or past `expirationDate` → IMPORT_TOKEN_EXPIRED_ERR;
 * - each successful import (create or rotate) uses one of `maxAllowedRetrievals` too; a failed one gives it back.
 */
@Injectable()
export class ImportTokensService {
  constructor(
    private readonly tokens: ImportTokensRepository,
    private readonly hsm: HsmClient,
    private readonly access: KmsAccess,
    private readonly clock: Clock,
  ) {}

  async create(caller: AuthenticatedCaller, instance: KmsInstance, body: unknown) {
    const policy = importTokenPolicy(body);
    await this.access.require(caller, instance, 'importtoken.create');
    const pair = await this.hsm.op(instance.hsmDomainId, 'import-keypair.create', {}, { timeoutMs: KEY_PAIR_TIMEOUT_MS });
    const now = this.clock.now();
    const token = await this.tokens.replace({
      instanceGuid: instance.guid,
      hsmDomainId: instance.hsmDomainId,
      keyPairId: pair.keyPairId,
      publicKey: pair.publicKey,
      nonce: randomBytes(NONCE_BYTES).toString('base64'),
      creationDate: now,
      expirationDate: new Date(now.getTime() + policy.expirationSeconds * 1000),
      maxAllowedRetrievals: policy.maxAllowedRetrievals,
      remainingRetrievals: policy.maxAllowedRetrievals,
      createdBy: caller.principal.iamId,
    });
    return metadataView(token);
  }

  /** The public key (base64 of its PEM) and the nonce; each call uses one retrieval. */
  async retrieve(caller: AuthenticatedCaller, instance: KmsInstance) {
    await this.access.require(caller, instance, 'importtoken.read');
    const token = await this.current(instance);
    const now = this.clock.now();
    this.assertNotExpired(token, now);
    const taken = await this.tokens.takeRetrieval(instance.guid, token.keyPairId, now);
    if (!taken) throw new DomainError('IMPORT_TOKEN_EXPIRED_ERR', `The import token has been retrieved ${token.maxAllowedRetrievals} time(s), its maximum: create a new one`);
    return { ...metadataView(taken), payload: Buffer.from(taken.publicKey, 'utf8').toString('base64'), nonce: taken.nonce };
  }

  /**
   * Runs an import (`run` calls the HSM) through the instance's token: one import is reserved first,
   * so concurrent imports cannot overspend the token, and given back if the import fails.
   */
  async importThrough<T>(instance: KmsInstance, fields: SecureImportFields, run: (payload: ImportMaterial) => Promise<T>): Promise<T> {
    const token = await this.current(instance);
    const now = this.clock.now();
    this.assertNotExpired(token, now);
    if (!(await this.tokens.reserveImport(instance.guid, token.keyPairId, token.maxAllowedRetrievals, now))) {
      throw new DomainError('IMPORT_TOKEN_EXPIRED_ERR', `The import token has been used for ${token.maxAllowedRetrievals} import(s), its maximum: create a new one`);
    }
    try {
      return await run({
        importToken: {
          keyPairId: token.keyPairId,
          encryptedKey: fields.encryptedKey,
          encryptionAlgorithm: fields.encryptionAlgorithm,
          encryptedNonce: fields.encryptedNonce,
          iv: fields.iv,
          nonce: token.nonce,
        },
      });
    } catch (error) {
      await this.tokens.releaseImport(instance.guid, token.keyPairId);
      throw error;
    }
  }

  private async current(instance: KmsInstance): Promise<ImportTokenRow> {
    const token = await this.tokens.find(instance.guid);
    // A token made in another HSM domain cannot serve this instance's keys (its key pair is not there).
    if (!token || token.hsmDomainId !== instance.hsmDomainId) throw new DomainError('IMPORT_TOKEN_NOT_FOUND_ERR');
    return token;
  }

  private assertNotExpired(token: ImportTokenRow, now: Date): void {
    if (token.expirationDate.getTime() <= now.getTime()) {
      throw new DomainError('IMPORT_TOKEN_EXPIRED_ERR', `The import token expired at ${rfc3339(token.expirationDate)}: create a new one`);
    }
  }
}

/** The flat body of POST and GET /import_token (no collection envelope; KEY-PROTECT-API.md §2). */
function metadataView(token: ImportTokenRow) {
  return {
    creationDate: rfc3339(token.creationDate),
    expirationDate: rfc3339(token.expirationDate),
    maxAllowedRetrievals: token.maxAllowedRetrievals,
    remainingRetrievals: token.remainingRetrievals,
  };
}
