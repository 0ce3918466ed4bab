import { BadRequestException, NotFoundException } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { formatHttpError } from './http-error-formats';
import { toDomainError } from './to-domain-error';

describe(toDomainError.name, () => {
  it('keeps a DomainError as it is', () => {
    const error = new DomainError('KEY_NOT_FOUND_ERR');
    expect(toDomainError(error)).toBe(error);
  });

  it('maps framework 4xx errors to the nearest code, never to 5xx', () => {
    expect(toDomainError(new NotFoundException('Cannot GET /x'))).toMatchObject({ code: 'NOT_FOUND_ERR', status: 404 });
    expect(toDomainError(new BadRequestException())).toMatchObject({ code: 'BAD_BODY_ERR', status: 400 });
    expect(toDomainError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }))).toMatchObject({ code: 'BAD_BODY_ERR' });
    expect(toDomainError(Object.assign(new Error('too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE_ERR',
    });
  });

  it('treats anything unknown as internal, keeping the original for the log only', () => {
    const cause = new Error('connection refused to postgresql://user:pw@db');
    const error = toDomainError(cause);
    expect(error).toMatchObject({ code: 'INTERNAL_ERR', status: 500, message: 'An internal error occurred' });
    expect(error.options.cause).toBe(cause);
  });
});

describe(formatHttpError.name, () => {
  const context = { requestId: 'req-1' };

  it('writes the Key Protect envelope the Go client parses (numeric status, errorMsg)', () => {
    const body = formatHttpError('key-protect', new DomainError('KEY_NOT_FOUND_ERR'), context);
    expect(body).toEqual({
      metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 },
      resources: [
        {
          errorMsg: 'Not Found: Key does not exist: Please see `reasons` for more details (KEY_NOT_FOUND_ERR)',
          reasons: [{ code: 'KEY_NOT_FOUND_ERR', message: 'Key does not exist', status: 404, moreInfo: 'https://cloud.ibm.com/apidocs/key-protect' }],
        },
      ],
    });
  });

  it('adds the field target for invalid fields', () => {
    const body = formatHttpError(
      'key-protect',
      new DomainError('INVALID_FIELD_ERR', 'plaintext must be base64', { target: { type: 'field', name: 'plaintext' } }),
      context,
    ) as { resources: { reasons: { target?: unknown }[] }[] };
    expect(body.resources[0]?.reasons[0]?.target).toEqual({ type: 'field', name: 'plaintext' });
  });

  it("writes IBM IAM's format", () => {
    expect(formatHttpError('iam', new DomainError('UNAUTHORIZED_ERR'), context)).toEqual({
      errorCode: 'UNAUTHORIZED_ERR',
      errorMessage: 'Unauthorized: The user does not have access to the specified resource',
      context: { requestId: 'req-1' },
    });
  });

  it("writes Keyward's own format for the HSM and consumers", () => {
    expect(formatHttpError('keyward', new DomainError('INVALID_FIELD_ERR', 'name is required', { target: { type: 'field', name: 'name' } }), context)).toEqual({
      errors: [{ code: 'INVALID_FIELD_ERR', message: 'name is required', target: 'name' }],
      trace: 'req-1',
    });
  });

  it('shows internal errors only as a generic message with the error id', () => {
    const internal = toDomainError(new Error('secret detail: apikey=abcdef'));
    const body = JSON.stringify(formatHttpError('iam', internal, { requestId: 'r', errorId: 'err-42' }));
    expect(body).toContain('An internal error occurred (error id err-42)');
    expect(body).not.toContain('secret detail');
  });
});
