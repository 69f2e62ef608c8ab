import { Logger } from '@aws-lambda-powertools/logger';

/** The container's structured JSON logger (level from POWERTOOLS_LOG_LEVEL, default INFO). */
export const logger: Logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sip-metrics' });
