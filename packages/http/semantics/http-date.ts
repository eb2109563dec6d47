/**
 * HTTP-date (RFC 9110 §5.6.7): the preferred IMF-fixdate and the two obsolete formats a
 * recipient must still accept (RFC 850 and ANSI C asctime), parsed strictly by their grammar.
 * Everything else is invalid and parses to null; what an invalid date means is the caller's
 * rule (for Expires it means "already expired", RFC 9111 §5.3; for If-Modified-Since the
 * field is ignored, RFC 9110 §13.1.3).
 */

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const DAY = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const DAY_LONG = '(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// The grammar is case-sensitive (§5.6.7) and has exactly one SP between its parts.
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^${DAY_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` (a one-digit day is padded with a space) */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} (\\d{2}| \\d) ${TIME} (\\d{4})$`);

const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1-12), valid for any year. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Milliseconds for a checked calendar date and time, or null when a field is out of range. */
function instant(year: number, month: number, day: number, hour: number, minute: number, second: number): number | null {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  // A leap second (60) is allowed by the Internet Message Format the grammar comes from.
  if (hour > 23 || minute > 59 || second > 60) return null;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
}

function monthNumber(name: string): number {
  return MONTHS.indexOf(name as (typeof MONTHS)[number]) + 1;
}

/**
 * RFC 9110 §5.6.7: a two-digit RFC 850 year that would put the date more than 50 years in
 * the future means the most recent past year with the same last two digits.
 */
function rfc850Year(twoDigits: number, month: number, day: number, hour: number, minute: number, second: number, now: number): number {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + 50);
  const limitYear = limit.getUTCFullYear();
  // The latest year not after the limit's year that ends in these two digits.
  const year = limitYear - ((((limitYear - twoDigits) % 100) + 100) % 100);
  const at = instant(year, month, day, hour, minute, second);
  return at !== null && at > limit.getTime() ? year - 100 : year;
}

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) into milliseconds since the epoch (a whole second).
 * Accepts IMF-fixdate, the obsolete RFC 850 and asctime formats, and nothing else: a
 * one-digit hour, dashes in an IMF-fixdate, extra spaces, a missing comma, `UTC` instead of
 * `GMT`, lower-case names, a day that does not exist (31 Apr) are all invalid (null).
 * The day name is checked against the grammar, not against the date (RFC 5322 makes that the
 * sender's duty). `now` resolves RFC 850's two-digit years.
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | null {
  // Field values carry no leading or trailing whitespace (RFC 9110 §5.5).
  const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
  let m = IMF_FIXDATE.exec(v);
  if (m) return instant(Number(m[4]), monthNumber(m[3] ?? ''), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  m = RFC850_DATE.exec(v);
  if (m) {
    const month = monthNumber(m[3] ?? '');
    const [day, hour, minute, second] = [Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7])];
    return instant(rfc850Year(Number(m[4]), month, day, hour, minute, second, now), month, day, hour, minute, second);
  }
  m = ASCTIME_DATE.exec(v);
  if (m) return instant(Number(m[7]), monthNumber(m[2] ?? ''), Number((m[3] ?? '').trim()), Number(m[4]), Number(m[5]), Number(m[6]));
  return null;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Formats an instant (ms since the epoch, truncated to the second) as an IMF-fixdate, the
 * only format a sender may generate (RFC 9110 §5.6.7). Years outside 0000-9999 have no
 * IMF-fixdate and throw a RangeError.
 */
export function formatHttpDate(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${ms}`);
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86_400);
  const d = new Date(days * MS_PER_DAY);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} has no IMF-fixdate`);
  const inDay = seconds - days * 86_400;
  const dayName = DAY_NAMES[(((days + 4) % 7) + 7) % 7];
  const month = MONTHS[d.getUTCMonth()];
  const time = `${pad2(Math.floor(inDay / 3600))}:${pad2(Math.floor(inDay / 60) % 60)}:${pad2(inDay % 60)}`;
  return `${dayName}, ${pad2(d.getUTCDate())} ${month} ${String(year).padStart(4, '0')} ${time} GMT`;
}
