/**
 * A name a person typed, fit to show back: without control and format characters (line breaks,
 * bidirectional overrides that would reorder what a page or mail shows) and outer spaces.
 */
export function displayText(input: string): string {
  return input.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
}
