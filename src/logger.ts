import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

/** Every place a secret could reach a log line; pino replaces it before writing. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.refresh_token',
  '*.access_token',
  '*.client_secret',
  '*.operatorKey',
  '*.bootstrapOperatorKey',
  '*.private_jwk',
  '*.d',
  'refresh_token',
  'access_token',
  'client_secret',
];

/** Request URLs are logged without their query: a secret sent there stays out of the log. */
const withoutQuery = (url: string | undefined) => url?.split('?', 1)[0];

/** Pino's options; `stream` is where lines go instead of stdout (tests capture them). */
export function loggerOptions(level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url?: string; ip?: string; id?: string }) => ({
        method: req.method,
        url: withoutQuery(req.url),
        remoteAddress: req.ip,
      }),
    },
  };
}
