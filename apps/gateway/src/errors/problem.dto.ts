import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

import { problemType } from './problem';

export class FieldErrorDto {
  @ApiProperty({ example: 'address.country' }) field!: string;
  @ApiProperty({ example: 'invalid_country' }) code!: string;
  @ApiProperty({ example: 'country must be a valid ISO31661 Alpha2 code' }) message!: string;
}

/** RFC 9457 problem details, as every error is rendered. */
export class ProblemDto {
  @ApiProperty({ example: problemType('validation_failed') }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ description: 'Stable machine-readable code.', example: 'validation_failed' }) code!: string;
  @ApiProperty({ example: 'The request is not valid; see errors.' }) detail!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiProperty({ example: '6f1c2a9e-3f0e-4a43-9d7e-6a1b8b0f2c11' }) requestId!: string;
  @ApiProperty({ example: '/v1/customers' }) instance!: string;
  @ApiPropertyOptional({ example: 'digital-river' }) provider?: string;
  @ApiPropertyOptional({ example: 'default' }) account?: string;
  @ApiPropertyOptional({ example: 'invalid_parameter' }) providerCode?: string;
  @ApiPropertyOptional({ example: "'id' must be 40 characters or less." }) providerMessage?: string;
}

const EXAMPLES: Record<number, { code: string; detail: string; errors?: FieldErrorDto[] }> = {
  400: {
    code: 'validation_failed',
    detail: 'The request is not valid; see errors.',
    errors: [
      {
        field: 'address.country',
        code: 'invalid_country',
        message: 'country must be a valid ISO31661 Alpha2 code',
      },
    ],
  },
  401: {
    code: 'unauthenticated',
    detail: 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
  },
  403: { code: 'forbidden', detail: 'This API key lacks the "customers:write" scope.' },
  404: { code: 'customer_not_found', detail: 'No customer with id "cus_4f7d0e1c9b2a3d4e5f6a7b8c".' },
  409: {
    code: 'idempotency_request_in_progress',
    detail: 'A request with this Idempotency-Key is still being processed.',
  },
  412: { code: 'precondition_failed', detail: 'The customer is at version 3; If-Match named another.' },
  413: { code: 'payload_too_large', detail: 'The request body is too large.' },
  415: {
    code: 'unsupported_media_type',
    detail: 'Send the body as application/json or application/merge-patch+json.',
  },
  422: { code: 'idempotency_key_reused', detail: 'This Idempotency-Key was used with a different request.' },
  429: {
    code: 'rate_limited',
    detail: 'This API key is over its provider limit of 5 requests a second; retry after 1 s.',
  },
  502: { code: 'provider_unavailable', detail: 'The provider could not be reached.' },
  503: { code: 'provider_rate_limited', detail: 'The provider is rate limiting the gateway.' },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`, `malformed_json`), including text no field can hold (NUL, unpaired surrogates, invalid UTF-8), bodies nested over 32 levels and prototype keys; nothing was changed.',
  401: 'No valid API key (`unauthenticated`).',
  403: 'The API key lacks the scope (`forbidden`).',
  404: 'No such customer (`customer_not_found`) or migration (`migration_not_found`).',
  409: 'Conflict: `external_reference_taken`, or `idempotency_request_in_progress`.',
  412: 'If-Match does not name the current version (`precondition_failed`).',
  413: 'Body too large (`payload_too_large`).',
  415: 'Body is not JSON (`unsupported_media_type`).',
  422: 'Idempotency-Key reused with another request (`idempotency_key_reused`), a provider refused (`provider_rejected`), or the operation is not supported by the linked providers (`unsupported_by_provider`).',
  502: 'A provider failed (`provider_unavailable`, `provider_auth_failed`, `provider_bad_response`); nothing was lost: the outcome is on the link.',
  429: 'This API key is over one of its rate limits (`rate_limited`); nothing was done. `Retry-After` says how many seconds to wait.',
  503: 'A provider is rate limiting the gateway (`provider_rate_limited`); `Retry-After` says when to retry.',
};

export type ProblemStatus = keyof typeof EXAMPLES;

/** The OpenAPI response object of a problem+json answer, with its description and an example. */
export function problemResponse(status: ProblemStatus) {
  const example = EXAMPLES[status];
  return {
    description: DESCRIPTIONS[status] ?? '',
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemDto) },
        example: example && {
          type: problemType(example.code),
          status,
          code: example.code,
          detail: example.detail,
          ...(example.errors ? { errors: example.errors } : {}),
          requestId: '6f1c2a9e-3f0e-4a43-9d7e-6a1b8b0f2c11',
        },
      },
    },
  };
}

/** Documents the problem+json answers a route can give, with an example of each. */
export function ApiProblems(...statuses: ProblemStatus[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}
