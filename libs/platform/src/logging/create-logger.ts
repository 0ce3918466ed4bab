import pino, { type DestinationStream, type Logger } from 'pino';
import { requestContext } from './request-context';

/**
 * Paths pino censors wherever they appear in a log object: a second line of defence — code must
 * not log secrets in the first place (headers are never logged whole).
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'apikey',
  '*.apikey',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'plaintext',
  '*.plaintext',
  'payload',
  '*.payload',
  'keyMaterial',
  '*.keyMaterial',
];

export interface LoggerOptions {
  app: string;
  replicaId: string;
  level: string;
  /** Tests capture output here; defaults to stdout. */
  destination?: DestinationStream;
}

/** JSON logs, one line per event, each carrying the current request id when there is one. */
export function createLogger({ app, replicaId, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service: app, replica: replicaId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => {
        const requestId = requestContext.requestId();
        return requestId ? { requestId } : {};
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
