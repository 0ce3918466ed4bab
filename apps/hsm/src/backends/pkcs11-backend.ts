import { createHash, randomBytes } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { CryptoError, GCM_IV_BYTES, GCM_TAG_BYTES, type KeyObjectBinding, keyObjectAad, zeroize } from '@keyward/crypto';
import type { MasterKey, MasterKeyBackend, PersistentPlatformKey } from './master-key-backend';

export interface Pkcs11Options {
  modulePath: string;
  tokenLabel: string;
  pin: string;
}

/** CKA_ID of the platform master key: unique per key (labels are not, HSM.md gotcha 4). */
const PLATFORM_KEY_ID = Buffer.from('keyward:platform:master:1');

/**
 * Master keys inside a PKCS#11 token (SoftHSM2 locally, any module in production). Every encryption
 * under a master key runs in the token; the platform master key is a token object, sensitive and
 * non-extractable; an hs-crypto master key rebuilt at unseal becomes a session object (gone when the
 * daemon stops, so the domain is sealed after a restart).
 *
 * Calls are synchronous, so one session serves every request: on Node's single thread no two
 * operations interleave on it. Measured (scripts/measure-pkcs11-sessions.mjs, docs/HSM.md): one
 * session synchronously does about twice the seal+open round trips per second of the asynchronous
 * calls on a pool of 2–8 sessions. Async calls (a network HSM) would need a pool.
 */
export class Pkcs11Backend implements MasterKeyBackend {
  readonly kind = 'pkcs11' as const;
  private readonly pkcs11 = new pkcs11js.PKCS11();
  private readonly session: Buffer;
  private closed = false;

  constructor(options: Pkcs11Options) {
    this.pkcs11.load(options.modulePath);
    // Without OS locking, concurrent calls on two sessions crashed the process (HSM.md gotcha 1).
    this.pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const slot = this.pkcs11.C_GetSlotList(true).find((candidate) => this.pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel);
      if (!slot) throw new Error(`no PKCS#11 token labelled ${JSON.stringify(options.tokenLabel)}`);
      this.session = this.pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      this.pkcs11.C_Login(this.session, pkcs11js.CKU_USER, options.pin);
    } catch (error) {
      this.pkcs11.C_Finalize();
      throw error;
    }
  }

  load(material: Buffer): MasterKey {
    try {
      const handle = this.pkcs11.C_CreateObject(this.session, [
        ...secretKeyTemplate(false),
        { type: pkcs11js.CKA_VALUE, value: material },
      ]);
      return new Pkcs11MasterKey(this.pkcs11, this.session, handle, true);
    } finally {
      zeroize(material);
    }
  }

  platformKey(): PersistentPlatformKey {
    let handle = this.find(PLATFORM_KEY_ID);
    if (!handle) {
      handle = this.pkcs11.C_GenerateKey(this.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        ...secretKeyTemplate(true),
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_ID, value: PLATFORM_KEY_ID },
        { type: pkcs11js.CKA_LABEL, value: 'keyward platform master key' },
      ]);
    }
    const key = new Pkcs11MasterKey(this.pkcs11, this.session, handle, false);
    return { key, check: `pkcs11:${key.checkValue()}` };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pkcs11.C_Logout(this.session);
      this.pkcs11.C_CloseSession(this.session);
    } finally {
      this.pkcs11.C_Finalize();
    }
  }

  private find(id: Buffer): Buffer | undefined {
    this.pkcs11.C_FindObjectsInit(this.session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    try {
      return this.pkcs11.C_FindObjects(this.session) ?? undefined;
    } finally {
      this.pkcs11.C_FindObjectsFinal(this.session);
    }
  }
}

function secretKeyTemplate(token: boolean): pkcs11js.Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_TOKEN, value: token },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
  ];
}

class Pkcs11MasterKey implements MasterKey {
  constructor(
    private readonly pkcs11: pkcs11js.PKCS11,
    private readonly session: Buffer,
    // Cached handle: no C_FindObjects per request (HSM.md gotcha 3).
    private readonly handle: Buffer,
    private readonly sessionObject: boolean,
  ) {}

  seal(binding: KeyObjectBinding, material: Uint8Array): Buffer {
    const iv = randomBytes(GCM_IV_BYTES);
    this.pkcs11.C_EncryptInit(this.session, gcm(iv, keyObjectAad(binding)), this.handle);
    const sealed = this.pkcs11.C_Encrypt(this.session, Buffer.from(material), Buffer.alloc(material.length + GCM_TAG_BYTES));
    return Buffer.concat([iv, sealed]);
  }

  open(binding: KeyObjectBinding, blob: Uint8Array): Buffer {
    if (blob.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new CryptoError('malformed', 'the key object is truncated');
    const bytes = Buffer.from(blob);
    this.pkcs11.C_DecryptInit(this.session, gcm(bytes.subarray(0, GCM_IV_BYTES), keyObjectAad(binding)), this.handle);
    try {
      return this.pkcs11.C_Decrypt(this.session, bytes.subarray(GCM_IV_BYTES), Buffer.alloc(bytes.length));
    } catch (error) {
      // A wrong AAD gives CKR_GENERAL_ERROR on SoftHSM, not CKR_ENCRYPTED_DATA_INVALID (HSM.md gotcha 5).
      if (error instanceof pkcs11js.Pkcs11Error) throw new CryptoError('unauthentic', 'the key object did not authenticate');
      throw error;
    }
  }

  /** Key check value: GCM of 16 zero bytes under a fixed all-zero IV, hashed (identifies, never reveals). */
  checkValue(): string {
    this.pkcs11.C_EncryptInit(this.session, gcm(Buffer.alloc(GCM_IV_BYTES), Buffer.from('keyward.kcv')), this.handle);
    const kcv = this.pkcs11.C_Encrypt(this.session, Buffer.alloc(16), Buffer.alloc(32));
    return createHash('sha256').update(kcv).digest('base64');
  }

  destroy(): void {
    // Only session objects: the platform token key is the operator's and stays in the token.
    if (this.sessionObject) this.pkcs11.C_DestroyObject(this.session, this.handle);
  }
}

function gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: iv.length * 8, tagBits: GCM_TAG_BYTES * 8 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}
