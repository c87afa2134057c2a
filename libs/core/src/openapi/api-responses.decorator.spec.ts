import { ErrorResponseDto } from '../errors/error-response.dto';
import { ApiDeleteById, ApiErrors, ApiReadById } from './api-responses.decorator';

// Where @nestjs/swagger keeps the responses of a route (its DECORATORS.API_RESPONSE).
const RESPONSES = 'swagger/apiResponse';

class BodyDto {}

class Routes {
  @ApiErrors(400, 404, { 409: 'Name taken' })
  errors(): void {}

  @ApiReadById(BodyDto, { 404: 'Example or connector not found' }, 404)
  read(): void {}

  @ApiDeleteById({ 409: 'Managed connector' })
  remove(): void {}
}

function responsesOf(method: keyof Routes): Record<string, { description?: string; type?: unknown }> {
  return Reflect.getMetadata(RESPONSES, Routes.prototype[method]);
}

describe('composite Swagger response decorators', () => {
  it('documents each error status with the error body, described where a description is given', () => {
    const responses = responsesOf('errors');
    expect(Object.keys(responses)).toEqual(['400', '404', '409']);
    expect(responses['400']).toMatchObject({ type: ErrorResponseDto, description: '' });
    expect(responses['409']).toMatchObject({ type: ErrorResponseDto, description: 'Name taken' });
  });

  it('lets a route describe a status its shape already has, and a bare repeat keeps the description', () => {
    const responses = responsesOf('read');
    expect(Object.keys(responses)).toEqual(['200', '404']);
    expect(responses['200']).toMatchObject({ type: BodyDto });
    expect(responses['404']).toMatchObject({ type: ErrorResponseDto, description: 'Example or connector not found' });
  });

  it('answers a deletion with 204, 404 and the extra statuses given', () => {
    const responses = responsesOf('remove');
    expect(Object.keys(responses)).toEqual(['204', '404', '409']);
    expect(responses['204']).toMatchObject({ description: 'Deleted' });
  });
});
