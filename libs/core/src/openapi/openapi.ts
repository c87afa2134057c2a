import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { packageInfo } from '../app/package-info';
import { completeDocument } from './complete-document';

const DESCRIPTION = `Connect data sources, sync them into documents, introspect and annotate database schemas,
and turn questions into validated, read-only SQL.

**Authentication**: \`POST /api/v1/auth/login\` returns an access token; send it as
\`Authorization: Bearer <token>\`. API keys (\`sk_...\`) work the same way, or as \`X-API-Key\`.
\`X-Tenant-Id\` picks one of your tenants per request.

**Errors** share one body: \`{ statusCode, error, code, details?, requestId }\`.

**Lists** take \`limit\` and \`cursor\` and answer \`{ data, pagination: { total, limit, hasMore, nextCursor } }\`.`;

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sluice API')
    .setDescription(DESCRIPTION)
    .setVersion(packageInfo().version)
    // package.json says UNLICENSED: the API is not offered under an open licence.
    .setLicense('Proprietary (UNLICENSED)', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
    // Relative: the document is served by the API it describes, at whatever address that has.
    .addServer('/', 'The server that serves this document (http://localhost:3000 by default)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or sk_ API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'apiKey')
    .addGlobalParameters({
      name: 'X-Tenant-Id',
      in: 'header',
      required: false,
      description: 'Tenant to act in, when your account belongs to several',
      schema: { type: 'string', example: 'ten_0f3k9q2m7x1c5v8b' },
    })
    .build();
  return completeDocument(
    SwaggerModule.createDocument(app, config, {
      operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
    }),
  );
}

/** Serves Swagger UI at /docs and the document at /openapi.json. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'Sluice API',
    swaggerOptions: { persistAuthorization: true },
  });
}
