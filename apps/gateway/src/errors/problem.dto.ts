import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

import { problemType, TITLES } from './problem';

export class FieldErrorDto {
  @ApiProperty({ example: 'address.country' }) field!: string;
  @ApiProperty({ example: 'invalid_country' }) code!: string;
  @ApiProperty({ example: 'country must be a valid ISO31661 Alpha2 code' }) message!: string;
  @ApiPropertyOptional({
    description: 'For `provider_rules_violated`: the provider whose rule it is (`code` is the rule).',
    example: 'two-checkout',
  })
  provider?: string;
}

/** For `customer_gone`: one provider account of the tombstone, and what it still holds. */
export class TombstoneProviderDto {
  @ApiProperty({ example: 'two-checkout' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({
    enum: ['deleted', 'scrubbed', 'unsupported', 'pending', 'failed', 'requested', 'forgotten'],
    description:
      'deleted: a read-back found no copy. scrubbed: the provider cannot delete, its personal fields were overwritten. pending/failed: the delete there is not confirmed yet.',
    example: 'scrubbed',
  })
  outcome!: string;
  @ApiProperty({
    type: [String],
    description:
      "Personal data the provider still holds: canonical field names, `sources` (payment sources' owner details), `*` (everything: the delete there is not confirmed); `[]` for nothing.",
    example: ['address'],
  })
  remaining!: string[];
  @ApiPropertyOptional({ type: Object, example: { status: 'partial', notErased: ['address'] } })
  erasure?: object;
  @ApiPropertyOptional({ type: Object, example: { code: 'provider_unavailable', message: 'timeout' } })
  error?: object;
}

/** RFC 9457 problem details, as every error is rendered. */
export class ProblemDto {
  @ApiProperty({ example: problemType('validation_failed') }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ description: 'Stable machine-readable code.', example: 'validation_failed' }) code!: string;
  @ApiProperty({ example: 'The request is not valid; see errors.' }) detail!: string;
  @ApiProperty({
    description:
      'Whether sending the same request again later may succeed: true for a provider or database outage or a rate limit (see Retry-After), an Idempotency-Key still in use, or an internal error.',
    example: false,
  })
  retryable!: boolean;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiProperty({ example: '6f1c2a9e-3f0e-4a43-9d7e-6a1b8b0f2c11' }) requestId!: string;
  @ApiProperty({ example: '/v1/customers' }) instance!: string;
  @ApiPropertyOptional({ example: 'digital-river' }) provider?: string;
  @ApiPropertyOptional({ example: 'sandbox' }) account?: string;
  @ApiPropertyOptional({ example: 'invalid_parameter' }) providerCode?: string;
  @ApiPropertyOptional({ example: "'id' must be 40 characters or less." }) providerMessage?: string;
  @ApiPropertyOptional({
    description: 'For `customer_gone` (410): when the customer was deleted.',
    example: '2026-12-07T03:00:00.000Z',
  })
  deletedAt?: string;
  @ApiPropertyOptional({
    type: [TombstoneProviderDto],
    description:
      'For `customer_gone` (410): what each provider account the customer was linked to still holds.',
  })
  providers?: TombstoneProviderDto[];
}

const EXAMPLES: Record<
  number,
  {
    code: string;
    detail: string;
    retryable: boolean;
    errors?: FieldErrorDto[];
    instance?: string;
    /** Members only this code carries. */
    extra?: Record<string, unknown>;
  }
> = {
  400: {
    code: 'validation_failed',
    retryable: false,
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
    retryable: false,
    detail: 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
  },
  403: { code: 'forbidden', retryable: false, detail: 'This API key lacks the "customers:write" scope.' },
  404: {
    code: 'customer_not_found',
    retryable: false,
    detail: 'No customer with id "cus_4f7d0e1c9b2a3d4e5f6a7b8c".',
    instance: '/v1/customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c',
  },
  409: {
    code: 'idempotency_request_in_progress',
    retryable: true,
    detail: 'A request with this Idempotency-Key is still being processed.',
  },
  410: {
    code: 'customer_gone',
    retryable: false,
    detail: 'The customer "cus_4f7d0e1c9b2a3d4e5f6a7b8c" was deleted at 2026-12-07T03:00:00.000Z.',
    instance: '/v1/customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c',
    extra: {
      deletedAt: '2026-12-07T03:00:00.000Z',
      providers: [
        { provider: 'digital-river', account: 'sandbox', outcome: 'deleted', remaining: [] },
        {
          provider: 'two-checkout',
          account: 'sandbox',
          outcome: 'scrubbed',
          erasure: { status: 'partial', notErased: ['address'] },
          remaining: ['address'],
        },
      ],
    },
  },
  412: {
    code: 'precondition_failed',
    retryable: false,
    detail: 'The customer is at version 3; If-Match named another.',
  },
  413: { code: 'payload_too_large', retryable: false, detail: 'The request body is too large.' },
  415: {
    code: 'unsupported_media_type',
    retryable: false,
    detail: 'Send the body as application/json or application/merge-patch+json.',
  },
  422: {
    code: 'idempotency_key_reused',
    retryable: false,
    detail: 'This Idempotency-Key was used with a different request.',
  },
  429: {
    code: 'rate_limited',
    retryable: true,
    detail: 'This API key is over its provider limit of 5 requests a second; retry after 1 s.',
  },
  500: { code: 'internal_error', retryable: true, detail: 'Something went wrong on our side.' },
  502: { code: 'provider_unavailable', retryable: true, detail: 'The provider could not be reached.' },
  503: {
    code: 'provider_rate_limited',
    retryable: true,
    detail: 'The provider is rate limiting the gateway.',
  },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`, `malformed_json`), including text no field can hold (NUL, unpaired surrogates, invalid UTF-8), bodies nested over 32 levels and prototype keys; nothing was changed.',
  401: 'No valid API key (`unauthenticated`).',
  403: 'The API key lacks the scope (`forbidden`).',
  404: 'No such customer (`customer_not_found`), migration (`migration_not_found`) or reconciliation (`reconciliation_not_found`).',
  409: 'Conflict: `external_reference_taken`, `idempotency_request_in_progress`, or a run of the same kind already running (`migration_already_running`, `reconciliation_already_running`).',
  410: 'The customer was deleted (`customer_gone`): `deletedAt` says when and `providers` what each provider still holds (`remaining`, `[]` for nothing), for TOMBSTONE_RETENTION_HOURS; after it, 404. Admins read the tombstone itself with `?include=deleted`.',
  412: 'If-Match does not name the current version (`precondition_failed`).',
  413: 'Body too large (`payload_too_large`).',
  415: 'Body is not JSON (`unsupported_media_type`).',
  422: 'A linked provider would refuse the customer (`provider_rules_violated`: every provider, field and rule in `errors`, nothing written), the default source is not attached (`default_source_not_attached`), Idempotency-Key reused with another request (`idempotency_key_reused`), a provider refused (`provider_rejected`), or the operation is not supported by the linked providers (`unsupported_by_provider`).',
  500: 'The gateway failed unexpectedly (`internal_error`); the request may be retried, with the same Idempotency-Key for an unsafe one.',
  502: 'A provider failed (`provider_unavailable`, `provider_auth_failed`, `provider_bad_response`); nothing was lost: the outcome is on the link.',
  429: 'This API key is over one of its rate limits, or this client address failed authentication too often (`rate_limited`); nothing was done. `Retry-After` says how many seconds to wait.',
  503: 'The database is unavailable (`database_unavailable`; send the request again, with the same Idempotency-Key), or a provider is rate limiting the gateway (`provider_rate_limited`); `Retry-After` says when to retry.',
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
          title: TITLES[status],
          status,
          code: example.code,
          detail: example.detail,
          retryable: example.retryable,
          ...(example.errors ? { errors: example.errors } : {}),
          ...example.extra,
          requestId: '6f1c2a9e-3f0e-4a43-9d7e-6a1b8b0f2c11',
          instance: example.instance ?? '/v1/customers',
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
