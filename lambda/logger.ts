import { Logger } from '@aws-lambda-powertools/logger';

/** The container's structured JSON logger (level from POWERTOOLS_LOG_LEVEL, default INFO). */
export const logger: Logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sip-metrics' });

/** The part of a logger that run-scan needs: tests and the CLI can pass any structurally equal one. */
export type LogSink = Pick<Logger, 'info' | 'warn' | 'error'>;
