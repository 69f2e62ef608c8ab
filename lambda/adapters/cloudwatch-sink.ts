import {
  CloudWatchClient,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  type MetricDatum,
  MissingRequiredParameterException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { MetricsRejectedError } from '../errors.js';
import type { MetricPoint } from '../metrics/metric-point.js';
import { planBatches } from '../metrics/plan-batches.js';
import type { MetricSink } from '../ports.js';

const toDatum = (p: MetricPoint): MetricDatum => ({
  MetricName: p.MetricName,
  Dimensions: p.Dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
  Timestamp: p.Timestamp,
  Unit: p.Unit,
  Values: [...p.Values],
  Counts: [...p.Counts],
});

/**
 * API_PutMetricData "Errors": the HTTP 400 validation errors InvalidParameterValue, InvalidParameterCombination
 * and MissingParameter (the SDK's InvalidParameterValueException, InvalidParameterCombinationException and
 * MissingRequiredParameterException). They say the request itself is wrong, so the same datums fail on every
 * redelivery. Throttling is a 400 too, but it is not one of them: it stays retryable, as do 5xx and timeouts.
 */
const isValidationError = (e: unknown): e is Error & { $metadata?: { httpStatusCode?: number } } =>
  e instanceof InvalidParameterValueException ||
  e instanceof InvalidParameterCombinationException ||
  e instanceof MissingRequiredParameterException;

/** The SDK error as a permanent MetricsRejectedError, or null when a retry may succeed. */
export const asRejected = (e: unknown, namespace: string, datums: number): MetricsRejectedError | null => {
  if (!isValidationError(e)) return null;
  // the error code CloudWatch sent (x-amzn-query-error), as the API reference and the console name it
  const code = (e as { Code?: unknown }).Code;
  const name = typeof code === 'string' ? code : e.name;
  return new MetricsRejectedError(
    `CloudWatch refused ${datums} datums for namespace ${namespace}: ${name}: ${e.message} (a validation error: not retried)`,
    { cloudWatchError: name, httpStatusCode: e.$metadata?.httpStatusCode, datums },
  );
};

/** Options of the container's CloudWatch client. */
export interface CloudWatchClientOptions {
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
}

/**
 * Creates the container's CloudWatch client. The SDK honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_CLOUDWATCH,
 * gzips bodies above 10 KiB (requestMinCompressionSizeBytes), and its standard retry strategy backs off on
 * throttling (`Throttling`, HTTP 429) and on 500/502/503/504.
 */
export const createCloudWatchClient = (opts: CloudWatchClientOptions): CloudWatchClient =>
  new CloudWatchClient({
    maxAttempts: opts.maxAttempts,
    // without throwOnRequestTimeout the handler only logs a warning and keeps waiting for a reply that may
    // never come; as an error, the timeout is retried like any other transient failure (TimeoutError)
    requestHandler: { requestTimeout: opts.requestTimeoutMs, throwOnRequestTimeout: true, connectionTimeout: 3000 },
  });

/** MetricSink over PutMetricData. */
export class CloudWatchSink implements MetricSink {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly namespace: string,
  ) {}

  plan(points: readonly MetricPoint[]): MetricPoint[][] {
    return planBatches(points);
  }

  async send(batch: readonly MetricPoint[]): Promise<void> {
    try {
      await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: batch.map(toDatum) }));
    } catch (e) {
      throw asRejected(e, this.namespace, batch.length) ?? e;
    }
  }
}
