/**
 * Validation issues (zod's shape) as one line each, "field.path: message", the input as a whole
 * named `whole` when an issue is about no field: what refusals list for the caller to fix.
 */
export function fieldProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[], whole: string): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || whole}: ${issue.message}`);
}
