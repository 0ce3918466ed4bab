import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DomainError, isErrorCode } from '@keyward/contracts';
import { EnvelopeEncryption, KmsClient, KmsClientError, type WrappedDataKey } from '@keyward/kms-client';
import { IntegrationRepository, type KmsIntegrationRecord } from './integration.repository';

/**
 * Segment data under the instance's data key. The DEK is wrapped by the customer's root key (AAD =
 * the instance's CRN) and lives in plaintext only in EnvelopeEncryption's cache. Before any use, the
 * key's last known state (from lifecycle events, stored with the integration so every replica and a
 * restart know it) decides: disabled/deleted → 409, purged → 410, each saying why.
 */
@Injectable()
export class SegmentProtection implements OnApplicationShutdown {
  readonly envelope: EnvelopeEncryption;

  constructor(
    private readonly integrations: IntegrationRepository,
    client: KmsClient,
  ) {
    this.envelope = new EnvelopeEncryption({
      client,
      // The KMS answered an unwrap under the newest version: keep that form.
      onRewrapped: (_previous, current) => this.integrations.updateKeyOfSource(current.ref.sourceCrn, { wrappedDek: current.wrappedDek, keyVersionId: current.keyVersionId }),
    });
  }

  onApplicationShutdown(): void {
    this.envelope.wipeAll();
  }

  integrationOf(instanceGuid: string): Promise<KmsIntegrationRecord | undefined> {
    return this.integrations.find(instanceGuid);
  }

  /** Seals one segment's rules; AAD binds the ciphertext to its instance and segment. */
  async seal(integration: KmsIntegrationRecord, segmentId: string, rules: unknown): Promise<string> {
    assertKeyUsable(integration);
    return withKmsErrors(() => this.envelope.encrypt(dataKeyOf(integration), JSON.stringify(rules), segmentAad(integration.instanceGuid, segmentId)));
  }

  async open(integration: KmsIntegrationRecord, segmentId: string, ciphertext: string): Promise<unknown> {
    assertKeyUsable(integration);
    const text = await withKmsErrors(() => this.envelope.decryptToString(dataKeyOf(integration), ciphertext, segmentAad(integration.instanceGuid, segmentId)));
    return JSON.parse(text) as unknown;
  }
}

export function dataKeyOf(integration: KmsIntegrationRecord): WrappedDataKey {
  return {
    ref: { instanceId: integration.kmsInstanceId, keyId: integration.keyId, sourceCrn: integration.sourceCrn },
    wrappedDek: integration.wrappedDek,
    keyVersionId: integration.keyVersionId,
    kmsAad: [integration.sourceCrn],
  };
}

export function segmentAad(instanceGuid: string, segmentId: string): string {
  return `apprapp:segment:${instanceGuid}:${segmentId}`;
}

/** The key's state as the last lifecycle event left it: refused with a message that says what to do. */
export function assertKeyUsable(integration: KmsIntegrationRecord): void {
  const key = `root key ${integration.keyId} (${integration.keyCrn})`;
  switch (integration.keyState) {
    case 'disabled':
      throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `Segment data cannot be read: the ${key} is disabled (state 2); enable it to restore access`);
    case 'deleted':
      throw new DomainError(
        'KMS_KEY_UNAVAILABLE_ERR',
        `Segment data cannot be read: the ${key} was deleted (state 5); it is restorable until ${integration.restorableUntil?.toISOString() ?? 'the end of its restore window'}`,
      );
    case 'purged':
      throw new DomainError('KMS_KEY_PURGED_ERR', `Segment data is unrecoverable: the ${key} was purged (crypto-shredded)`);
    default:
  }
}

/** KMS failures as the user's errors: a key the KMS refuses is a 409 naming the KMS's reason; unreachable stays 503. */
export async function withKmsErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof KmsClientError)) throw error;
    if (error.isTransient || error.status >= 500) throw new DomainError('SERVICE_UNAVAILABLE_ERR', 'The key management service is unavailable; retry later', { cause: error });
    if (error.status === 401 || error.status === 403) {
      throw new DomainError('KMS_AUTHORIZATION_MISSING_ERR', `The key management service refused App Configuration's access to the root key: ${error.message}`, { cause: error });
    }
    if (error.status === 404) throw new DomainError('KMS_KEY_UNAVAILABLE_ERR', `The root key was not found at the key management service: ${error.message}`, { cause: error });
    const code = isErrorCode(error.code) ? error.code : 'KMS_KEY_UNAVAILABLE_ERR';
    throw new DomainError(code, `The key management service refused the root key: ${error.message}`, { cause: error });
  }
}
