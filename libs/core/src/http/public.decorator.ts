import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../access/access-keys';
import { PUBLIC_EXTENSION } from '../openapi/complete-document';

/**
 * Opens a route to anonymous callers. Every other route needs @Authenticated (checked at start).
 * The document says so with `security: []` (set from the extension by completeDocument).
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiExtension(PUBLIC_EXTENSION, true));
