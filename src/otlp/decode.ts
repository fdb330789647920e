// Turns one OTLP/HTTP (or gRPC) export request body, protobuf or OTLP/JSON, into source-neutral records,
// once, at the boundary. Each encoding has its own single-pass reader (protobufReader.ts, jsonReader.ts)
// that checks the body as it reads it (structure, nesting, size), so a hostile body costs one cheap pass
// and a clear 400, never a crash or a gigabyte of objects; a single bad span or log record is skipped and
// counted so the rest of the batch still arrives.

import {
  defaultDecodeLimits,
  OtlpDecodeError,
  type DecodedRequest,
  type DecodeLimits,
  type OtlpEncoding,
  type OtlpSignal,
} from './decodeCommon';
import { readJsonRequest } from './jsonReader';
import { otlpTypes } from './otlpProto';
import { readProtobufRequest } from './protobufReader';

export { defaultDecodeLimits, OtlpDecodeError };
export type { DecodedRequest, DecodeLimits, OtlpEncoding, OtlpSignal };

export function decodeOtlp(
  signal: OtlpSignal,
  body: Uint8Array,
  encoding: OtlpEncoding,
  limits?: Partial<DecodeLimits>,
): DecodedRequest {
  const lim: DecodeLimits = limits ? { ...defaultDecodeLimits, ...limits } : defaultDecodeLimits;
  try {
    return encoding === 'protobuf'
      ? readProtobufRequest(signal, body, lim)
      : readJsonRequest(signal, body, lim);
  } catch (err) {
    // An encoding protobuf refuses comes as a plain Error with its reason; anything else that slips
    // through is still a body we cannot read, never a reason to take the receiver down.
    const reason =
      err instanceof OtlpDecodeError
        ? err.message
        : `not a valid OTLP ${encoding === 'protobuf' ? 'protobuf' : 'JSON'} ${signal} export request (${err instanceof Error ? err.message : String(err)})`;
    // The commonest cause of a protobuf body that makes no sense: JSON sent with the protobuf type.
    if (encoding === 'protobuf' && looksLikeJson(body))
      throw new OtlpDecodeError(`${reason}; the body looks like JSON, sent as application/x-protobuf`);
    throw err instanceof OtlpDecodeError ? err : new OtlpDecodeError(reason);
  }
}

function looksLikeJson(body: Uint8Array): boolean {
  for (const c of body) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b; // '{'
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Responses

export interface PartialSuccess {
  rejected: number;
  message: string;
}

const partialField: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

/** The ExportXServiceResponse body: bytes for protobuf, JSON text for json. */
export function encodeExportResponse(
  signal: OtlpSignal,
  encoding: 'protobuf',
  partial?: PartialSuccess,
): Uint8Array;
export function encodeExportResponse(signal: OtlpSignal, encoding: 'json', partial?: PartialSuccess): string;
export function encodeExportResponse(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  partial?: PartialSuccess,
): Uint8Array | string;
export function encodeExportResponse(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  partial?: PartialSuccess,
): Uint8Array | string {
  const field = partialField[signal];
  if (encoding === 'json') {
    // proto3 JSON writes int64 as a decimal string.
    return JSON.stringify(
      partial ? { partialSuccess: { [field]: String(partial.rejected), errorMessage: partial.message } } : {},
    );
  }
  const types = otlpTypes();
  const type =
    signal === 'traces'
      ? types.traceResponse
      : signal === 'logs'
        ? types.logsResponse
        : types.metricsResponse;
  const payload = partial
    ? { partialSuccess: { [field]: partial.rejected, errorMessage: partial.message } }
    : {};
  return type.encode(type.fromObject(payload)).finish();
}

/** gRPC codes for the google.rpc.Status an OTLP/HTTP error response carries. */
function grpcCodeFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 404:
      return 5; // NOT_FOUND
    case 405:
      return 12; // UNIMPLEMENTED
    case 413:
      return 8; // RESOURCE_EXHAUSTED
    case 415:
      return 3;
    case 429:
      return 8;
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus >= 500 ? 13 : 2; // INTERNAL : UNKNOWN
  }
}

/** A google.rpc.Status body for an error answer: bytes for protobuf, JSON text for json. */
export function encodeErrorStatus(encoding: 'protobuf', httpStatus: number, message: string): Uint8Array;
export function encodeErrorStatus(encoding: 'json', httpStatus: number, message: string): string;
export function encodeErrorStatus(
  encoding: OtlpEncoding,
  httpStatus: number,
  message: string,
): Uint8Array | string;
export function encodeErrorStatus(
  encoding: OtlpEncoding,
  httpStatus: number,
  message: string,
): Uint8Array | string {
  const status = { code: grpcCodeFor(httpStatus), message };
  if (encoding === 'json') return JSON.stringify(status);
  const type = otlpTypes().rpcStatus;
  return type.encode(type.fromObject(status)).finish();
}
