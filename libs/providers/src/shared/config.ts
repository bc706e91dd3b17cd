import { type z } from 'zod';

/**
 * Parses one provider account's configuration, failing with a message that names every bad field
 * (`two-checkout account "eu": secretKey: required`). Values are never echoed: a config error must
 * not print the secret it was about.
 */
export function parseAccountConfig<T>(provider: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const account =
    typeof input === 'object' && input !== null && 'account' in input && typeof input.account === 'string'
      ? ` account "${input.account}"`
      : '';
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new Error(`Invalid ${provider}${account} configuration: ${problems}`);
}
