/**
 * RFC 9110 semantics shared by the edge cache, the push store and the Node origin: HTTP-dates,
 * delta-seconds and Age, entity tags, preconditions, Range and multipart/byteranges, content
 * types and WWW-Authenticate. Pure and runtime-neutral (Web APIs only: Headers, Response,
 * ReadableStream, TextEncoder, crypto.getRandomValues). docs/http-semantics.md describes it.
 */
export { formatHttpDate, parseHttpDate } from './http-date';
export { DELTA_SECONDS_MAX, parseAge, parseDeltaSeconds } from './delta-seconds';
export { formatEntityTag, parseEntityTag, parseEntityTagList, strongCompare, weakCompare, type EntityTag } from './entity-tag';
export {
  conditionalFields,
  evaluatePreconditions,
  ifRangeMatches,
  type ConditionalFields,
  type Precondition,
  type Validators,
} from './preconditions';
export {
  MAX_RANGE_PARTS,
  coalesceRanges,
  contentRange,
  evaluateRange,
  parseRangeHeader,
  unsatisfiedContentRange,
  type ByteRange,
  type RangeDecision,
  type RangeSpec,
} from './range';
export { bytesHeldInOnePass, multipartLayout, newBoundary, type MultipartLayout, type MultipartSegment } from './multipart';
export { fullBody, multipartBody, rangeBody, type BodySource } from './representation-body';
export { buildResponse, planResponse, type BuildOptions, type PlanOptions, type RepresentationFacts, type ResponsePlan } from './respond';
export { bearerChallenge, formatChallenge, quotedString, wwwAuthenticate, type BearerError, type Challenge } from './www-authenticate';
