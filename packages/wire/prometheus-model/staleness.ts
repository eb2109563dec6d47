/**
 * Prometheus's staleness marker (`value.StaleNaN` in prometheus/model/value): a NaN with the
 * exact bits 0x7ff0000000000002, written when a series disappears. Defined once here: the
 * remote_write codec, the metrics store and the scraper all compare and write these bits.
 */

/** The high 32 bits of the marker. */
const STALE_NAN_HI = 0x7ff00000;
/** The low 32 bits of the marker. */
const STALE_NAN_LO = 0x00000002;

/** The marker's 8 bytes, little-endian (as protobuf's `double` and a Float64Array on every Workers host hold it). */
export const STALE_NAN_BYTES = new Uint8Array([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** True when the 8 little-endian bytes at `offset` of `view` are the marker (NaN payloads are compared bit for bit). */
export function isStaleNaNAt(view: DataView, offset: number): boolean {
  return view.getUint32(offset + 4, true) === STALE_NAN_HI && view.getUint32(offset, true) === STALE_NAN_LO;
}

/** Writes the marker's 8 bytes at `offset` of `view`, little-endian. */
export function writeStaleNaNAt(view: DataView, offset: number): void {
  view.setUint32(offset + 4, STALE_NAN_HI, true);
  view.setUint32(offset, STALE_NAN_LO, true);
}
