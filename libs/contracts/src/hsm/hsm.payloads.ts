import { z } from 'zod';
import type { HsmDomainOp, HsmDomainsOp } from './hsm.subjects';

/**
 * Payloads of `rpc.hsm.*` (DESIGN.md "NATS subjects", "Key hierarchy", "Ceremonies"). Binary values
 * travel as standard base64. The HSM parses every request with these schemas; the KMS parses every
 * reply with them (RpcClient's `response`).
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export const base64Schema = z.string().regex(BASE64, 'must be base64');
const uuidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a UUID');

/** The key object handle: the KMS uses it as the key id. */
export const keyIdSchema = uuidSchema;
export const keyVersionSchema = z.number().int().min(1).max(0xffffffff);
export const MAX_HSM_BATCH_ITEMS = 1000;
/** Key Protect accepts at most 7,168 bytes of plaintext to wrap (base64: 9,560 characters). */
export const MAX_WRAP_PLAINTEXT_B64 = 9560;
/** Header (35) + 7,168 bytes + tag (16) = 7,219 bytes, base64. */
export const MAX_CIPHERTEXT_B64 = 9628;
const aadSchema = z.array(z.string().max(1024)).max(64);

export const keyKindSchema = z.enum(['root', 'standard']);
export const keyBitsSchema = z.union([z.literal(128), z.literal(192), z.literal(256)]);
export const keyObjectStateSchema = z.enum(['active', 'suspended', 'destroyed']);
export const importAlgorithmSchema = z.enum(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1']);

// ---- key objects ---------------------------------------------------------------------------------

export const keyGenerateRequestSchema = z.object({ kind: keyKindSchema, bits: keyBitsSchema.default(256) }).strict();
/** `bits` is the material's size: 128/192/256 for root keys, up to 32768 for imported standard keys. */
export const keyCreatedResponseSchema = z.object({ keyId: keyIdSchema, version: keyVersionSchema, bits: z.number().int().positive() });

/**
 * Key material for import or rotation: plain (base64 of 16/24/32 bytes), or through an import token.
 * With a token, `encryptedKey` is RSA-OAEP(material) under the import key pair's public key and
 * `encryptedNonce` is AES-GCM(material, iv) of the token's nonce; the KMS passes the nonce it keeps.
 */
export const importMaterialSchema = z.union([
  z.object({ material: base64Schema.min(1).max(5464) }).strict(),
  z
    .object({
      importToken: z
        .object({
          keyPairId: uuidSchema,
          encryptedKey: base64Schema.min(1).max(1024),
          encryptionAlgorithm: importAlgorithmSchema,
          encryptedNonce: base64Schema.min(1).max(256),
          iv: base64Schema.min(1).max(64),
          nonce: base64Schema.min(1).max(256),
        })
        .strict(),
    })
    .strict(),
]);
export type ImportMaterial = z.infer<typeof importMaterialSchema>;

export const keyImportRequestSchema = z.object({ kind: keyKindSchema, payload: importMaterialSchema }).strict();
export const keyRotateRequestSchema = z.object({ keyId: keyIdSchema, payload: importMaterialSchema.optional() }).strict();
export const keySetStateRequestSchema = z.object({ keyId: keyIdSchema, state: z.enum(['active', 'suspended']) }).strict();
export const keyStateResponseSchema = z.object({ keyId: keyIdSchema, state: keyObjectStateSchema });
export const keyDestroyRequestSchema = z.object({ keyId: keyIdSchema }).strict();
export const keyExportRequestSchema = z.object({ keyId: keyIdSchema, version: keyVersionSchema.optional() }).strict();
export const keyExportResponseSchema = z.object({ keyId: keyIdSchema, version: keyVersionSchema, material: base64Schema });

export const importKeypairCreateRequestSchema = z.object({}).strict();
export const importKeypairResponseSchema = z.object({ keyPairId: uuidSchema, publicKey: z.string() });

// ---- wrap / unwrap -------------------------------------------------------------------------------

export const wrapRequestSchema = z
  .object({ keyId: keyIdSchema, plaintext: base64Schema.min(1).max(MAX_WRAP_PLAINTEXT_B64).optional(), aad: aadSchema.optional() })
  .strict();
/** `plaintext` is present only when the HSM generated the DEK. */
export const wrapResponseSchema = z.object({ ciphertext: base64Schema, keyVersion: keyVersionSchema, plaintext: base64Schema.optional() });

export const unwrapRequestSchema = z
  .object({ keyId: keyIdSchema, ciphertext: z.string().min(1).max(MAX_CIPHERTEXT_B64), aad: aadSchema.optional() })
  .strict();
/** When the ciphertext was made with an older version, `rewrapped` is the same DEK under the newest. */
export const unwrapResponseSchema = z.object({
  plaintext: base64Schema,
  keyVersion: keyVersionSchema,
  latestVersion: keyVersionSchema,
  rewrapped: z.object({ ciphertext: base64Schema, keyVersion: keyVersionSchema }).optional(),
});
export const rewrapRequestSchema = unwrapRequestSchema;
/** `keyVersion` is the new ciphertext's (the latest); `unwrappedVersion` the one the given ciphertext was made with. */
export const rewrapResponseSchema = z.object({ ciphertext: base64Schema, keyVersion: keyVersionSchema, unwrappedVersion: keyVersionSchema.optional() });

export const rpcErrorWireSchema = z.object({
  code: z.string(),
  message: z.string(),
  status: z.number(),
  target: z.object({ type: z.enum(['field', 'query', 'header']), name: z.string() }).optional(),
});

const batchItemResult = <T extends z.ZodType>(ok: T) =>
  z.union([z.object({ ok: z.literal(true), result: ok }), z.object({ ok: z.literal(false), error: rpcErrorWireSchema })]);

export const wrapBatchRequestSchema = z.object({ items: z.array(z.unknown()).min(1).max(MAX_HSM_BATCH_ITEMS) }).strict();
export const wrapBatchResponseSchema = z.object({ results: z.array(batchItemResult(wrapResponseSchema)) });
export const unwrapBatchRequestSchema = wrapBatchRequestSchema;
export const unwrapBatchResponseSchema = z.object({ results: z.array(batchItemResult(unwrapResponseSchema)) });

// ---- domains and ceremonies ----------------------------------------------------------------------

export const domainStateSchema = z.enum(['uninitialized', 'sealed', 'active']);
export type DomainState = z.infer<typeof domainStateSchema>;
export const domainIdSchema = z
  .string()
  .regex(/^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, 'must be "platform" or an instance GUID');

export const domainRefSchema = z.object({ domainId: domainIdSchema }).strict();
export const domainStatusSchema = z.object({
  domainId: domainIdSchema,
  state: domainStateSchema,
  threshold: z.number().int().nullable(),
  submitted: z.number().int(),
  /** Generation of the master key in use (master-key rotation increments it). */
  generation: z.number().int(),
  /** Custodians encrypt their parts to this key (hybrid format); null before the first ceremony. */
  ceremonyPublicKey: z.string().nullable(),
  replicas: z.array(z.object({ id: z.string(), state: domainStateSchema })),
});
export type DomainStatus = z.infer<typeof domainStatusSchema>;

export const ceremonyInitRequestSchema = z
  .object({
    domainId: domainIdSchema,
    threshold: z.number().int().min(1).max(16),
    custodians: z
      .array(z.object({ name: z.string().min(1).max(128), publicKey: z.string().min(1).max(16384) }).strict())
      .min(1)
      .max(16),
    /** A new ceremony for an active domain: its parts feed rotate-master-key. */
    rotation: z.boolean().default(false),
  })
  .strict();
export const ceremonyInitResponseSchema = z.object({
  domainId: domainIdSchema,
  ceremonyPublicKey: z.string(),
  threshold: z.number().int(),
  generation: z.number().int(),
  parts: z.array(z.object({ name: z.string(), encryptedPart: base64Schema })),
});

/** One part, encrypted to the domain's ceremony key (hybrid format of DESIGN.md). */
export const submitPartRequestSchema = z.object({ domainId: domainIdSchema, encryptedPart: base64Schema.min(1).max(8192) }).strict();
/** Each replica's own reply to a request-many (unseal, seal, rotate-master-key). */
export const replicaProgressSchema = z.object({
  replicaId: z.string(),
  domainId: domainIdSchema,
  state: domainStateSchema,
  threshold: z.number().int().nullable(),
  submitted: z.number().int(),
  generation: z.number().int(),
  /** rotate-master-key: parts of the new ceremony received, and whether this replica holds the new key. */
  rotation: z.object({ generation: z.number().int(), submitted: z.number().int(), ready: z.boolean() }).optional(),
  /**
   * true: this replica holds the current master key, but a rotation job had already moved key objects
   * to the next generation, so the domain stays sealed here until the rotation parts are submitted too.
   */
  awaitingRotationParts: z.boolean().optional(),
});
export type ReplicaProgress = z.infer<typeof replicaProgressSchema>;

/** Request schema per domain op, so the HSM and tests share one map. */
export const HSM_DOMAIN_OP_REQUESTS = {
  'key.generate': keyGenerateRequestSchema,
  'key.import': keyImportRequestSchema,
  'key.rotate': keyRotateRequestSchema,
  'key.set-state': keySetStateRequestSchema,
  'key.destroy': keyDestroyRequestSchema,
  'key.export': keyExportRequestSchema,
  wrap: wrapRequestSchema,
  unwrap: unwrapRequestSchema,
  rewrap: rewrapRequestSchema,
  'wrap.batch': wrapBatchRequestSchema,
  'unwrap.batch': unwrapBatchRequestSchema,
  'import-keypair.create': importKeypairCreateRequestSchema,
} as const satisfies Record<HsmDomainOp, z.ZodType>;

export const HSM_DOMAIN_OP_RESPONSES = {
  'key.generate': keyCreatedResponseSchema,
  'key.import': keyCreatedResponseSchema,
  'key.rotate': keyCreatedResponseSchema,
  'key.set-state': keyStateResponseSchema,
  'key.destroy': keyStateResponseSchema,
  'key.export': keyExportResponseSchema,
  wrap: wrapResponseSchema,
  unwrap: unwrapResponseSchema,
  rewrap: rewrapResponseSchema,
  'wrap.batch': wrapBatchResponseSchema,
  'unwrap.batch': unwrapBatchResponseSchema,
  'import-keypair.create': importKeypairResponseSchema,
} as const satisfies Record<HsmDomainOp, z.ZodType>;

export const HSM_DOMAINS_OP_REQUESTS = {
  create: domainRefSchema,
  status: domainRefSchema,
  'ceremony-init': ceremonyInitRequestSchema,
  unseal: submitPartRequestSchema,
  seal: domainRefSchema,
  'rotate-master-key': submitPartRequestSchema,
} as const satisfies Record<HsmDomainsOp, z.ZodType>;

export const HSM_DOMAINS_OP_RESPONSES = {
  create: domainStatusSchema,
  status: domainStatusSchema,
  'ceremony-init': ceremonyInitResponseSchema,
  unseal: replicaProgressSchema,
  seal: replicaProgressSchema,
  'rotate-master-key': replicaProgressSchema,
} as const satisfies Record<HsmDomainsOp, z.ZodType>;
