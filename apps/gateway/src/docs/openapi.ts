import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { documentCommonAnswers } from './common-answers';

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
        '',
        'Each API key has rate limits (reads, writes, and a smaller budget for operations that call the providers: drift, sync, reconcile, import). Over a limit the answer is 429 `rate_limited` with `Retry-After` in seconds.',
        'Requests whose headers are too large (431), that arrive too slowly (408) or are not HTTP (400) are answered in problem+json too.',
      ].join('\n'),
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key, e.g. csg_dev_…' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  return documentCommonAnswers(SwaggerModule.createDocument(app, config));
}

/** Swagger UI at /docs with Authorize, and the OpenAPI document at /docs-json. */
export function setUpDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Customer Sync Gateway',
  });
}
