// The local OTLP/gRPC receiver (TraceService, LogsService and MetricsService Export) on top of @grpc/grpc-js,
// pure JavaScript. Messages are taken as raw bytes and decoded by the same decoder as OTLP/HTTP protobuf, so
// both transports feed one pipeline with the same limits: a message above the size limit (after
// decompression: grpc-js applies the limit to the decompressed message) is refused with RESOURCE_EXHAUSTED,
// a malformed one with INVALID_ARGUMENT and its reason, and one that arrives while stopping with UNAVAILABLE
// (the exporter retries it).

import * as grpc from '@grpc/grpc-js';
import { scopedLogger, type Logger } from '../core/logger';
import {
  decodeOtlp,
  encodeExportResponse,
  OtlpDecodeError,
  type DecodedRequest,
  type OtlpSignal,
} from './decode';
import { PortInUseError, ReceiverStartError, type ReceiverBatchInfo } from './httpReceiver';

export interface OtlpGrpcReceiverOptions {
  host: string;
  /** 0 picks any free port. */
  port: number;
  /** Largest message accepted, after decompression. */
  maxBodyBytes: number;
  /** Calls in flight on one connection (HTTP/2 streams); default 64. */
  maxConcurrentRequests?: number;
  logger: Logger;
  /** Called for each trace or log request that carried anything; a throw answers INTERNAL. */
  onBatch(batch: DecodedRequest, info: ReceiverBatchInfo): void | Promise<void>;
}

/** The OTLP gRPC methods, by signal (opentelemetry/proto/collector/<signal>/v1/<signal>_service.proto). */
export const OTLP_GRPC_METHODS: Readonly<Record<OtlpSignal, string>> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};

const identity = (b: Buffer): Buffer => b;

export class OtlpGrpcReceiver {
  private server: grpc.Server | undefined;
  private stopping = false;
  private readonly log: Logger;

  constructor(private readonly options: OtlpGrpcReceiverOptions) {
    this.log = scopedLogger(options.logger, 'grpc');
  }

  /** Listens; resolves with the host asked for and the port bound. */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error('the gRPC receiver is already started'));
    const { host, port, maxBodyBytes } = this.options;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': maxBodyBytes,
      'grpc.max_send_message_length': 1024 * 1024,
      'grpc.max_concurrent_streams': this.options.maxConcurrentRequests ?? 64,
    });
    for (const signal of Object.keys(OTLP_GRPC_METHODS) as OtlpSignal[]) {
      const definition: grpc.ServiceDefinition = {
        Export: {
          path: OTLP_GRPC_METHODS[signal],
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      };
      server.addService(definition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          this.handle(signal, call, callback).catch((err: unknown) => {
            this.log.error(err instanceof Error ? err : String(err));
            callback({ code: grpc.status.INTERNAL, details: 'internal error in the receiver' });
          });
        },
      });
    }
    this.server = server;
    this.stopping = false;
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err) {
          this.server = undefined;
          server.forceShutdown();
          reject(
            /EADDRINUSE|address already in use/i.test(err.message)
              ? new PortInUseError(host, port)
              : new ReceiverStartError(`could not listen for gRPC on ${address}: ${err.message}`, host, port),
          );
          return;
        }
        resolve({ host, port: bound });
      });
    });
  }

  /** Stops listening; calls still in flight get a little time, then the connections close. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.stopping = true;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private async handle(
    signal: OtlpSignal,
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
  ): Promise<void> {
    const peer = call.getPeer();
    if (this.stopping) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'the receiver is stopping; send again later' });
      return;
    }
    let batch: DecodedRequest;
    try {
      batch = decodeOtlp(signal, call.request, 'protobuf');
    } catch (err) {
      const reason = err instanceof OtlpDecodeError ? err.message : 'the message could not be read';
      this.log.warn(`refused ${signal} from ${peer}: INVALID_ARGUMENT ${reason}`);
      callback({ code: grpc.status.INVALID_ARGUMENT, details: reason });
      return;
    }
    if (batch.spans.length > 0 || batch.logs.length > 0 || (batch.metrics?.length ?? 0) > 0) {
      // grpc-js has already inflated a compressed message: the size is the message's own.
      const info: ReceiverBatchInfo = {
        signal,
        encoding: 'protobuf',
        bytes: call.request.length,
        body: call.request,
        transport: 'grpc',
      };
      try {
        await this.options.onBatch(batch, info);
      } catch (err) {
        this.log.error(err instanceof Error ? err : String(err));
        callback({ code: grpc.status.INTERNAL, details: 'the receiver could not store this batch' });
        return;
      }
    }
    let partial: { rejected: number; message: string } | undefined;
    if (batch.rejected > 0) {
      partial = {
        rejected: batch.rejected,
        message: `${batch.rejected} rejected${batch.rejectReason ? `; first: ${batch.rejectReason}` : ''}`,
      };
      this.log.warn(`accepted ${signal} from ${peer} with ${partial.message}`);
    }
    callback(null, Buffer.from(encodeExportResponse(signal, 'protobuf', partial)));
  }
}
