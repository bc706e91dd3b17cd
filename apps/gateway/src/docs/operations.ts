import { type OpenAPIObject } from '@nestjs/swagger';

import { METHODS } from './common-answers';

/** The one security scheme (openapi.ts): an opaque API key as a bearer token. */
export const API_KEY_SCHEME = 'bearer';

/** What each tag groups, for the document's `tags` (Swagger UI shows it above the group). */
const TAGS: Record<string, string> = {
  customers: 'The canonical customers, and their links to every provider account.',
  events: 'What changed, in order: the log webhooks deliver from.',
  health: 'Probes and metrics for the platform running the gateway.',
  migrations: 'Moving customers from one provider account to another.',
  providers: 'The configured provider accounts and what each can hold.',
  reconciliation: 'Comparing the mirror with every provider, and repairing drift.',
  webhooks: 'Endpoints that receive the events as they happen.',
  'provider webhooks':
    'Where providers announce changes they made themselves (Digital River webhooks), and their signing secrets.',
};

/**
 * Operation-level details the decorators leave uneven: controllers that declare `@ApiSecurity`
 * for a second scheme (one key, one scheme now), operations with only a summary, and tags that the
 * document never lists. An operation that needs a key names the one scheme; an open one keeps `[]`.
 */
export function documentOperations(document: OpenAPIObject): OpenAPIObject {
  const used = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      if (operation.security === undefined || operation.security.length > 0) {
        operation.security = [{ [API_KEY_SCHEME]: [] }];
      }
      // The summary says all there is for these; linters and some renderers read only the description.
      if (operation.description === undefined || operation.description === '') {
        operation.description = operation.summary;
      }
      for (const tag of operation.tags ?? []) used.add(tag);
    }
  }
  document.tags = [...used].sort().map((name) => {
    const description = TAGS[name];
    if (description === undefined)
      throw new Error(`The tag "${name}" needs a description in docs/operations.ts`);
    return { name, description };
  });
  return document;
}
