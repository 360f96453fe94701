/** A scenario's validation problems as a person reads them: "field.path: what was expected". */
import type { z } from 'zod';

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    // A key that is not a plain name (empty, spaces, dots) is quoted, so the path stays readable.
    else if (typeof part !== 'string' || !PLAIN_KEY.test(part)) out += `[${JSON.stringify(String(part))}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

/** "field.path: problem" lines, one per zod issue. */
export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field`).join('; ');
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
}
