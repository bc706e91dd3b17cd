import { type OpenAPIObject } from '@nestjs/swagger';

import { problemResponse, type ProblemStatus } from '../errors/problem.dto';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * The answers every operation can give whatever its handler does, documented once here rather
 * than on each route (so a new route cannot forget them): input refused before routing (400),
 * the caller's rate limit (429), the database being unavailable (503), and for bodies and
 * idempotent writes what their middleware says.
 */
function commonStatuses(operation: Operation): ProblemStatus[] {
  const statuses: ProblemStatus[] = [400];
  // Every operation behind a key reads or writes the database (the idempotency record at least).
  if (operation.security !== undefined && operation.security.length > 0) statuses.push(429, 503);
  if (operation.requestBody !== undefined) statuses.push(413, 415);
  const idempotent = (operation.parameters ?? []).some(
    (parameter) => 'name' in parameter && parameter.name === 'Idempotency-Key',
  );
  if (idempotent) statuses.push(409, 422);
  return statuses;
}

export function documentCommonAnswers(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      for (const status of commonStatuses(operation)) {
        operation.responses[status] ??= problemResponse(status);
      }
    }
  }
  return document;
}
