import { z } from 'zod';

/**
 * What the coordinator's and the edge node's configuration have in common: settings come in layers
 * (file, then environment variables, then flags), are validated once, and a bad value is reported
 * with every name the operator may have used for it.
 */
export const hostPortSchema = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}$/, 'host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });

/** "host:port,host:port" (environment, flags) → [{host, port}, …]. */
export const hostPortListSchema = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(hostPortSchema).min(1));

/** Copies set environment variables, then given flags, over `raw` (later layers win). */
export function overlaySettings(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  envNames: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  flagNames: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  const out = { ...raw };
  for (const [key, name] of Object.entries(envNames)) {
    const value = name === undefined ? undefined : env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  for (const [key, flag] of Object.entries(flagNames)) {
    if (flag !== undefined && flags[flag] !== undefined) out[key] = flags[flag];
  }
  return out;
}

/** One line per problem: "  path / ENV_NAME / --flag: message". */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  envNames: Readonly<Record<string, string | undefined>>,
  flagNames: Readonly<Record<string, string | undefined>>,
): string {
  return issues
    .map((i) => {
      const key = String(i.path[0]);
      const flag = flagNames[key];
      const where = [i.path.join('.') || key, envNames[key], flag && `--${flag}`].filter(Boolean).join(' / ');
      return `  ${where}: ${i.message}`;
    })
    .join('\n');
}
