import type { z } from 'zod';
import { AppError } from '../../shared/errors.ts';

/** Parses input with a zod schema; failures become a 400 that names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : '(root)',
    message: i.message,
  }));
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.field}: ${i.message}`)
    .join('; ');
  return raise(new AppError('invalid_input', `Invalid ${what}: ${summary}`, { issues }));
}

function raise(err: AppError): never {
  throw err;
}
