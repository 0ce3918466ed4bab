import { type KeyObjectBinding, openKeyObject, sealKeyObject, zeroize } from '@keyward/crypto';
import type { MasterKey, MasterKeyBackend } from './master-key-backend';

/** Master keys only in this process's memory, from unseal until seal or exit. */
class SoftwareMasterKey implements MasterKey {
  constructor(private readonly material: Buffer) {}

  seal(binding: KeyObjectBinding, material: Uint8Array): Buffer {
    return sealKeyObject(this.material, binding, material);
  }

  open(binding: KeyObjectBinding, blob: Uint8Array): Buffer {
    return openKeyObject(this.material, binding, blob);
  }

  destroy(): void {
    zeroize(this.material);
  }
}

export class SoftwareBackend implements MasterKeyBackend {
  readonly kind = 'software' as const;

  load(material: Buffer): MasterKey {
    // Own copy, so the caller's zeroizing does not affect it.
    const own = Buffer.from(material);
    zeroize(material);
    return new SoftwareMasterKey(own);
  }

  close(): void {
    // Nothing to release: each master key is zeroized when its domain is sealed.
  }
}
