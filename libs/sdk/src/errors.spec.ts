import { SluiceError } from './errors';

describe('SluiceError', () => {
  it("takes the API's error body: status, code, message, field details and request id", () => {
    const body = {
      statusCode: 400,
      error: 'Validation failed',
      code: 'VALIDATION_FAILED',
      details: [{ field: 'name', messages: ['name should not be empty'] }],
      requestId: 'req_body',
    };
    const response = new Response(JSON.stringify(body), { status: 400, headers: { 'x-request-id': 'req_header' } });
    const error = SluiceError.fromResponse(response, body);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'SluiceError',
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
      details: [{ field: 'name', messages: ['name should not be empty'] }],
      requestId: 'req_body',
      body,
    });
  });

  it('turns an answer from something in between (a proxy page) into an HTTP_<status> code', () => {
    const response = new Response('<html>Bad gateway</html>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'x-request-id': 'req_proxy' },
    });
    const error = SluiceError.fromResponse(response, '<html>Bad gateway</html>');
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', details: [], requestId: 'req_proxy' });
    expect(error.message).toBe('<html>Bad gateway</html>');
    expect(
      SluiceError.fromResponse(new Response(null, { status: 503, statusText: 'Unavailable' }), undefined),
    ).toMatchObject({ code: 'HTTP_503', message: 'Unavailable' });
  });
});
