import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Customer Sync Gateway')
    .setDescription(
      [
        'One canonical Customer API kept in sync across Digital River and 2Checkout/Verifone.',
        '',
        'Authenticate with an API key: **Authorize** and paste it under `bearer` (or `api-key` for the `X-API-Key` header).',
        'Scopes: `customers:read`, `customers:write` (includes read), `admin` (everything).',
        '',
        'Every error is RFC 9457 `application/problem+json` with a stable `code`, a `detail`, the offending `errors[].field`s and the `requestId`.',
        'Unsafe requests accept `Idempotency-Key`.',
      ].join('\n'),
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key, e.g. csg_dev_…' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs with Authorize, and the OpenAPI document at /docs-json. */
export function setUpDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Customer Sync Gateway',
  });
}
