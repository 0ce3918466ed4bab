/** Header names shared by every transport (lower-case: Fastify and NATS headers compare them so). */
export const HEADERS = {
  /** Carried on HTTP and as a NATS message header across every hop. */
  requestId: 'x-request-id',
  /** Key Protect clients send it; the KMS echoes it. */
  correlationId: 'correlation-id',
  /** A consumer acting for one of its resources (DESIGN.md "Identities"). */
  sourceCrn: 'x-keyward-source-crn',
  /** Key Protect instance GUID. */
  bluemixInstance: 'bluemix-instance',
  keyRing: 'x-kms-key-ring',
  /** JetStream de-duplication id (events carry eventId here). */
  natsMsgId: 'Nats-Msg-Id',
} as const;
