/**
 * CloudWatch's PutMetricData limits, in one place: the datum planner and the batch planner keep within them, the
 * sink only sends what they planned.
 */

/**
 * API_PutMetricData: "Using the Values and Counts method enables you to publish up to 150 values per metric
 * with one PutMetricData request".
 */
export const MAX_VALUES_PER_DATUM = 150;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
/**
 * API_PutMetricData: timestamps are accepted "up to two weeks before the current date" and "up to two hours
 * after". The window is judged once, at the first claim, and every redelivery sends the same datums: the margins
 * keep a redelivery up to a day later (SQS retries, a DLQ redrive) and a few minutes of clock skew inside it.
 */
export const MAX_PAST_MS = 13 * 24 * MS_PER_HOUR;
export const MAX_FUTURE_MS = 2 * MS_PER_HOUR - 10 * MS_PER_MINUTE;

/**
 * API_PutMetricData: "Each request is also limited to no more than 1000 different metrics"
 * (MetricData: "Array Members: Maximum number of 1000 items").
 */
export const MAX_DATUMS_PER_CALL = 1000;
/**
 * API_PutMetricData: "Each PutMetricData request is limited to 1 MB in size for HTTP POST requests." We plan
 * against half of it, measured as the JSON the SDK sends: the limit predates the JSON protocol, and the
 * same data in the old Query encoding is about twice as long.
 */
export const PAYLOAD_BUDGET_BYTES = 512 * 1024;
