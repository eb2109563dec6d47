/**
 * Exact storage of float64 sample values. SQLite turns a NaN REAL into NULL, so every value
 * is stored as its 8 raw IEEE-754 bytes (little-endian, the byte order of a Float64Array on
 * every Workers host) in a BLOB: NaN payloads, ±Inf, -0 and the Prometheus staleness marker
 * (0x7ff0000000000002) survive bit for bit.
 */

/** The high and low 32 bits of Prometheus's staleness marker NaN (value.StaleNaN). */
export const STALE_HI = 0x7ff00000;
export const STALE_LO = 0x00000002;

/** The 8 bytes of a value (or of the staleness marker when `stale`). */
export function encodeValue(value: number, stale: boolean): ArrayBuffer {
  const buf = new ArrayBuffer(8);
  const view = new DataView(buf);
  if (stale) {
    view.setUint32(4, STALE_HI, true);
    view.setUint32(0, STALE_LO, true);
  } else {
    view.setFloat64(0, value, true);
  }
  return buf;
}

/** Decodes 8 stored bytes: the value and whether they are the staleness marker. */
export function decodeValue(bytes: ArrayBuffer | Uint8Array): { value: number; stale: boolean } {
  const view = bytes instanceof Uint8Array ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new DataView(bytes);
  const stale = view.getUint32(4, true) === STALE_HI && view.getUint32(0, true) === STALE_LO;
  return { value: view.getFloat64(0, true), stale };
}

/** Prometheus's string form of a sample value: `NaN`, `+Inf`, `-Inf`, else Go's shortest 'g' form. */
export function formatPromValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  // Go's strconv.FormatFloat(v, 'f', -1, 64) for the usual range, exponent form beyond it
  // (Prometheus uses 'f' with -1 precision; JS switches to exponent at 1e21 / 1e-7).
  const s = String(value);
  if (!s.includes('e')) return s;
  const exp = Number(s.slice(s.indexOf('e') + 1));
  if (exp >= 21 || exp <= -7) return expandExponent(s);
  return s;
}

/** Expands JS exponent notation into plain decimal digits, as Go's 'f' with precision -1 does. */
function expandExponent(s: string): string {
  const negative = s.startsWith('-');
  const body = negative ? s.slice(1) : s;
  const [mantissa, expText] = body.split('e');
  const exp = Number(expText);
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
