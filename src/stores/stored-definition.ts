/**
 * A stored JSON definition, read without throwing: an unreadable one (written by hand, cut short)
 * comes back as `{ unreadable: <the text> }`, which no schema accepts, so the caller skips it
 * with a warning and still lists it (and can remove it) instead of failing every read of the table.
 */
export function readStoredDefinition(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { unreadable: text.slice(0, 200) };
  } catch {
    return { unreadable: text.slice(0, 200) };
  }
}
