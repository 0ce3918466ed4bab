import { parseErrorEnvelope } from './error-envelope';

describe('parseErrorEnvelope', () => {
  it("reads IAM's envelope", () => {
    expect(parseErrorEnvelope(400, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found', context: { requestId: 'r-1' } }, 'hdr')).toEqual({
      status: 400,
      code: 'BXNIM0415E',
      message: 'Provided API key could not be found',
      requestId: 'r-1',
    });
  });

  it("reads Key Protect's envelope (reason first, then errorMsg)", () => {
    const body = {
      metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
      resources: [{ errorMsg: 'Not Found', reasons: [{ code: 'KEY_NOT_FOUND_ERR', message: 'Key does not exist', status: 404 }] }],
    };
    expect(parseErrorEnvelope(404, body, 'req-9')).toEqual({ status: 404, code: 'KEY_NOT_FOUND_ERR', message: 'Key does not exist', requestId: 'req-9' });
    expect(parseErrorEnvelope(409, { resources: [{ errorMsg: 'Conflict' }] }, null)).toMatchObject({ code: 'HTTP_ERR', message: 'Conflict' });
  });

  it("reads Keyward's envelope with its trace", () => {
    expect(parseErrorEnvelope(409, { errors: [{ code: 'DOMAIN_SEALED_ERR', message: 'The domain is sealed' }], trace: 't-1' })).toEqual({
      status: 409,
      code: 'DOMAIN_SEALED_ERR',
      message: 'The domain is sealed',
      requestId: 't-1',
    });
  });

  it('anything else gets a code from its status', () => {
    expect(parseErrorEnvelope(502, '<html>bad gateway</html>', 'h')).toEqual({ status: 502, code: 'SERVER_ERR', message: 'HTTP 502', requestId: 'h' });
    expect(parseErrorEnvelope(404, undefined)).toMatchObject({ code: 'NOT_FOUND_ERR' });
  });
});
