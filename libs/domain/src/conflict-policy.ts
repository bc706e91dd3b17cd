import { COMPARED_FIELDS } from './drift';

/**
 * What to do with a field whose value at a provider differs from the mirror's: `push` the
 * canonical value back (the provider's copy is overwritten), or `adopt` the provider's value into
 * the canonical customer (a new version, fanned out to every other provider).
 */
export const CONFLICT_CHOICES = ['push', 'adopt'] as const;
export type ConflictChoice = (typeof CONFLICT_CHOICES)[number];

/** One provider's policy: a default for every field, and fields that choose otherwise. */
export interface ProviderConflictPolicy {
  default?: ConflictChoice;
  fields?: Readonly<Record<string, ConflictChoice>>;
}

/** The conflict policy by provider id (`two-checkout`, `digital-river`); absent providers push. */
export type ConflictPolicy = Readonly<Record<string, ProviderConflictPolicy>>;

/** Nest token of the configured ConflictPolicy (CONFLICT_POLICY in libs/config). */
export const CONFLICT_POLICY = 'CONFLICT_POLICY';

/** The gateway's default: the mirror is the truth; a provider-side edit is undone. */
export const DEFAULT_CONFLICT_CHOICE: ConflictChoice = 'push';

/** How `field` of a copy at `provider` is resolved under `policy`. */
export function conflictChoice(policy: ConflictPolicy, provider: string, field: string): ConflictChoice {
  const own = policy[provider];
  return own?.fields?.[field] ?? own?.default ?? DEFAULT_CONFLICT_CHOICE;
}

/**
 * Every problem with a policy, one line each (start-up refuses it): provider ids that cannot be
 * one (or are not among `providers`, when given), fields the comparison never reports, choices
 * other than push and adopt.
 */
export function conflictPolicyProblems(policy: unknown, providers?: readonly string[]): string[] {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy))
    return ['must be a JSON object keyed by provider'];
  const problems: string[] = [];
  const isChoice = (value: unknown) => CONFLICT_CHOICES.includes(value as ConflictChoice);
  const fields: readonly string[] = COMPARED_FIELDS;
  for (const [provider, entry] of Object.entries(policy as Record<string, unknown>)) {
    if (providers === undefined ? !/^[a-z0-9-]+$/.test(provider) : !providers.includes(provider)) {
      problems.push(
        `"${provider}" is not a provider id${providers ? ` (known: ${providers.join(', ')})` : ''}`,
      );
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`"${provider}" must be an object with "default" and/or "fields"`);
      continue;
    }
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (key === 'default') {
        if (!isChoice(value)) problems.push(`"${provider}".default must be "push" or "adopt"`);
      } else if (key === 'fields') {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          problems.push(`"${provider}".fields must be an object of field: "push" | "adopt"`);
          continue;
        }
        for (const [field, choice] of Object.entries(value as Record<string, unknown>)) {
          if (!fields.includes(field))
            problems.push(`"${provider}".fields.${field} is not a compared field (${fields.join(', ')})`);
          else if (!isChoice(choice))
            problems.push(`"${provider}".fields.${field} must be "push" or "adopt"`);
        }
      } else {
        problems.push(`"${provider}".${key} is not a setting (use "default" and "fields")`);
      }
    }
  }
  return problems;
}
