import type { Duration } from 'aws-cdk-lib';
import { isValidNamespace } from '../../lambda/contract/index.js';
import { SipMetricsError } from '../../lambda/errors.js';
import { peerAlarmProblems } from '../config.js';
import { DEFAULTS } from '../defaults.js';
import type { SipMetricsProps } from './sip-metrics.js';

/** SipMetrics props that do not make a valid deployment; `problems` lists every one, like StackConfigError. */
export class SipMetricsPropsError extends SipMetricsError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG', `Invalid SipMetrics props:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
  }
}

/** Props that shape the bucket SipMetrics creates, and so mean nothing with a bucket of yours. */
const OWNED_BUCKET_SETTINGS = [
  'bucketEncryption',
  'logExpirationDays',
  'noncurrentVersionExpirationDays',
  'accessLogExpirationDays',
] as const;

const wholeIn = (
  problems: string[],
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  why = '',
): void => {
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
    problems.push(`${name} must be a whole number from ${min} to ${max}${why}, got ${value}`);
  }
};

const secondsIn = (problems: string[], name: string, value: Duration | undefined, min: number, max: number): void => {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min || seconds > max) problems.push(`${name} must be from ${min} to ${max} seconds, got ${seconds}`);
};

/**
 * Every problem with a set of props, checked before any resource is created (the ranges of infra/config.ts, which
 * judges cdk.json the same way): an empty list means valid.
 */
export const sipMetricsPropsProblems = (props: SipMetricsProps): string[] => {
  const problems: string[] = [];
  const namespace = props.namespace ?? DEFAULTS.namespace;
  if (!isValidNamespace(namespace)) {
    problems.push(
      `namespace must be 1-255 of A-Z a-z 0-9 . - _ / # : and must not start with "AWS/" or ":", got ${JSON.stringify(namespace)}`,
    );
  }
  if (props.spikeAlarms !== undefined && props.spikeAlarms.namespace !== namespace) {
    problems.push(`spikeAlarms.namespace (${props.spikeAlarms.namespace}) must equal namespace (${namespace})`);
  }
  const keyPrefix = props.keyPrefix ?? DEFAULTS.keyPrefix;
  // IAM reads * and ? in the object ARN as wildcards: such a prefix would silently widen what the function may read
  if (keyPrefix.length === 0 || /[*?]/.test(keyPrefix) || keyPrefix.startsWith('/')) {
    problems.push(
      `keyPrefix must be non-empty, without * or ? and without a leading /, got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const suffixes = props.keySuffixes ?? [];
  for (const suffix of suffixes) {
    if (suffix.length === 0 || /[*?]/.test(suffix)) {
      problems.push(`keySuffixes must be non-empty and hold no * or ?, got ${JSON.stringify(suffix)}`);
    }
    for (const other of suffixes) {
      // S3 rejects notification rules whose filters overlap: ".gz" would also match every ".log.gz"
      if (suffix !== other && other.length > 0 && suffix.endsWith(other)) {
        problems.push(
          `keySuffixes "${suffix}" and "${other}" overlap (S3 rejects overlapping filters); keep "${other}"`,
        );
      }
    }
  }
  if (new Set(suffixes).size !== suffixes.length) problems.push('keySuffixes lists a suffix twice');
  for (const p of peerAlarmProblems({
    peers: props.peers ?? DEFAULTS.peers,
    peerMetrics: props.peerMetrics ?? DEFAULTS.peerMetrics,
    peerAlarms: props.peerAlarms ?? DEFAULTS.peerAlarms,
  })) {
    problems.push(`peerAlarms: ${p}`);
  }
  if (props.bucket !== undefined) {
    for (const setting of OWNED_BUCKET_SETTINGS) {
      if (props[setting] !== undefined) {
        problems.push(
          `${setting} shapes the bucket SipMetrics creates: with your own bucket, configure it on the bucket`,
        );
      }
    }
  }
  if (props.encryptionKey !== undefined) {
    if (props.bucketEncryption === 's3-managed') {
      problems.push("encryptionKey encrypts the log bucket with KMS: leave bucketEncryption unset or 'kms'");
    }
    if (props.bucket !== undefined && props.alarmTopic !== undefined) {
      problems.push(
        'encryptionKey encrypts the bucket and topic SipMetrics creates: with your own bucket and topic it has nothing to encrypt',
      );
    }
  }
  if (props.handlerCode === 'prebuilt' && props.handlerEntry !== undefined) {
    problems.push("handlerEntry is bundled from source: set handlerCode 'source' (or leave it unset) with it");
  }
  wholeIn(problems, 'functionMemoryMiB', props.functionMemoryMiB, 256, 10_240, ' (the engine needs about 150 MB)');
  wholeIn(problems, 'batchSize', props.batchSize, 1, 10);
  wholeIn(problems, 'maxConcurrency', props.maxConcurrency, 2, 1000, ' (the SQS event source limits)');
  wholeIn(problems, 'peerTopN', props.peerTopN, 0, 100);
  wholeIn(
    problems,
    'ledgerRetentionDays',
    props.ledgerRetentionDays,
    15,
    3650,
    ' (longer than the 14-day DLQ retention)',
  );
  wholeIn(problems, 'logExpirationDays', props.logExpirationDays, 0, 36_500);
  wholeIn(problems, 'noncurrentVersionExpirationDays', props.noncurrentVersionExpirationDays, 1, 36_500);
  wholeIn(problems, 'accessLogExpirationDays', props.accessLogExpirationDays, 1, 36_500);
  secondsIn(problems, 'functionTimeout', props.functionTimeout, 60, 900);
  return problems;
};
