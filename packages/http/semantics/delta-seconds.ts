/**
 * delta-seconds (RFC 9111 §1.2.2) and the Age field (RFC 9111 §5.1).
 */

/** RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31. */
export const DELTA_SECONDS_MAX = 2_147_483_648;

/**
 * Parses delta-seconds (`1*DIGIT`, RFC 9111 §1.2.2): a non-negative integer of seconds, capped
 * at {@link DELTA_SECONDS_MAX}. Anything else (a sign, a fraction, a unit suffix such as `5s`,
 * surrounding text, an empty string) is invalid: null.
 */
export function parseDeltaSeconds(value: string): number | null {
  if (!/^[0-9]+$/.test(value)) return null;
  const n = Number(value);
  return n > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : n;
}

/**
 * The Age a cache uses (RFC 9111 §5.1), in seconds, or null when the field is absent or invalid.
 * Age is a singleton field, but a list (`Age: 5, 10`, or two field lines, which arrive joined by
 * a comma) uses its first member and discards the rest; if that member is not delta-seconds
 * (`5s`, `-1`, `1.5`) the whole field is ignored (the §5.1 SHOULD), so the caller computes the
 * age without it. Empty list elements are skipped (RFC 9110 §5.6.1.2).
 */
export function parseAge(value: string | null): number | null {
  if (value === null) return null;
  const first = value
    .split(',')
    .map((member) => member.replace(/^[ \t]+|[ \t]+$/g, ''))
    .find((member) => member !== '');
  return first === undefined ? null : parseDeltaSeconds(first);
}
