// Measures why the pkcs11 backend uses one session (docs/HSM.md, "Backends"): AES-GCM seal+open of a
// 32-byte key object under a token key, (a) synchronously on one session, as the backend does, and
// (b) with pkcs11js's asynchronous calls (libuv thread pool) on a pool of sessions.
// Usage: SOFTHSM2_CONF=... PIN=... LABEL=... node apps/hsm/scripts/measure-pkcs11-sessions.mjs
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const pkcs11js = require('pkcs11js');
const p = new pkcs11js.PKCS11();
p.load(process.env.MODULE ?? '/usr/lib/softhsm/libsofthsm2.so');
p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === (process.env.LABEL ?? 'keyward'));
const open = () => {
  const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  return session;
};
const first = open();
p.C_Login(first, pkcs11js.CKU_USER, process.env.PIN);
const key = p.C_GenerateKey(first, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
  { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
  { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
  { type: pkcs11js.CKA_TOKEN, value: false },
  { type: pkcs11js.CKA_SENSITIVE, value: true },
  { type: pkcs11js.CKA_EXTRACTABLE, value: false },
  { type: pkcs11js.CKA_ENCRYPT, value: true },
  { type: pkcs11js.CKA_DECRYPT, value: true },
  { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
]);
const aad = randomBytes(60);
const material = randomBytes(32);
const gcm = (iv) => ({ mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } });

function syncRoundTrip(session) {
  const iv = randomBytes(12);
  p.C_EncryptInit(session, gcm(iv), key);
  const sealed = p.C_Encrypt(session, material, Buffer.alloc(48));
  p.C_DecryptInit(session, gcm(iv), key);
  p.C_Decrypt(session, sealed, Buffer.alloc(48));
}

function asyncRoundTrip(session) {
  const iv = randomBytes(12);
  return new Promise((resolve, reject) => {
    p.C_EncryptInit(session, gcm(iv), key);
    p.C_Encrypt(session, material, Buffer.alloc(48), (error, sealed) => {
      if (error) return reject(error);
      p.C_DecryptInit(session, gcm(iv), key);
      p.C_Decrypt(session, sealed, Buffer.alloc(48), (error2) => (error2 ? reject(error2) : resolve()));
    });
  });
}

const N = Number(process.env.N ?? 20000);
for (let i = 0; i < 2000; i += 1) syncRoundTrip(first);
let start = process.hrtime.bigint();
for (let i = 0; i < N; i += 1) syncRoundTrip(first);
let ns = Number(process.hrtime.bigint() - start);
console.log(`sync, 1 session: ${Math.round((N * 1e9) / ns)} seal+open/s, ${(ns / N / 1000).toFixed(1)} µs per seal+open (event loop held)`);

for (const size of [2, 4, 8]) {
  const sessions = Array.from({ length: size }, open);
  let next = 0;
  start = process.hrtime.bigint();
  await Promise.all(
    sessions.map(async (session) => {
      while (next < N) {
        next += 1;
        await asyncRoundTrip(session);
      }
    }),
  );
  ns = Number(process.hrtime.bigint() - start);
  console.log(`async, pool of ${size} sessions: ${Math.round((N * 1e9) / ns)} seal+open/s`);
  for (const session of sessions) p.C_CloseSession(session);
}
p.C_Logout(first);
p.C_CloseSession(first);
p.C_Finalize();
