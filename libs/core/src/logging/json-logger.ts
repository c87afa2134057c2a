import { LoggerService } from '@nestjs/common';
import pino, { Logger as PinoLogger } from 'pino';

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'authorization',
  'cookie',
  'authConfig',
  'connection',
  'connectionString',
  'privateKey',
  'clientSecret',
];

// x-api-key is the header of the same name (req.headers["x-api-key"]).
const SECRETS = new Set([...SECRET_KEYS, 'x-api-key']);
const CENSOR = '[REDACTED]';
/** How deep secret keys are looked for: at the top, and under one or two objects (`req.body.token`). */
const REDACT_DEPTH = 3;

/**
 * The object with every value under a secret key replaced by the censor, down to REDACT_DEPTH
 * levels; what holds no secret is returned as it is, and the logged object is never changed
 * (only the objects on the way to a secret are copied). One walk over the keys: pino's own
 * path-based redaction of the same keys cost ~10 times the rest of a log line.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth >= REDACT_DEPTH || value === null || typeof value !== 'object') return value;
  // An Error goes to its serializer, which keeps only name, message and stack; binary data
  // holds no keys.
  if (value instanceof Error || ArrayBuffer.isView(value)) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const current = source[key];
    const next = current !== undefined && SECRETS.has(key) ? CENSOR : redactSecrets(current, depth + 1);
    if (next !== current) {
      copy ??= Array.isArray(source) ? ([...source] as unknown as Record<string, unknown>) : { ...source };
      copy[key] = next;
    }
  }
  return (copy ?? value) as T;
}

/** Credentials embedded in free text: URLs with a password, bearer tokens, API keys. */
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // The scheme is bounded: unbounded, text like "a.a.a.a…" is scanned again from every letter.
  [/(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^:/\s@]*:)[^@\s/]+@/gi, '$1[REDACTED]@'],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, '$1[REDACTED]'],
  [/\bsk_[A-Za-z0-9_]{8,}/g, 'sk_[REDACTED]'],
  [/\b(\w*(?:password|passwd|pwd|secret|token|apikey|api_key))=([^&\s]+)/gi, '$1=[REDACTED]'],
];

/** Removes credentials from a string before it is logged. */
export function scrubText(text: string): string {
  return TEXT_PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

export function createPino(level: string, destination?: pino.DestinationStream): PinoLogger {
  return pino(
    {
      level,
      base: { service: 'sluice' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSecrets(object) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: unknown) => {
          if (!(err instanceof Error)) return err;
          return {
            type: err.name,
            message: scrubText(err.message),
            stack: err.stack ? scrubText(err.stack) : undefined,
          };
        },
      },
    },
    destination,
  );
}

/**
 * Nest's start-up chatter: one line per route mapped (about 170) and per module initialised.
 * Useful when debugging the wiring, noise otherwise: written at debug instead of info.
 */
const START_UP_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader']);

/**
 * Nest's logger interface over pino: one JSON object per line, secrets redacted by key and
 * scrubbed from messages. Nest calls `log(message, context)`; our code may pass an object first.
 */
export class JsonLogger implements LoggerService {
  constructor(readonly pino: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && START_UP_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes the context name last; a stack string may come before it for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const extra = rest.slice(0, context ? -1 : undefined);
    const fields: Record<string, unknown> = context ? { context } : {};
    // Nest's own error logs pass a stack trace second; a plain message there is not a stack.
    if (typeof extra[0] === 'string' && extra[0].includes('\n    at ')) fields.stack = scrubText(extra[0]);
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (message && typeof message === 'object') {
      const { msg, ...obj } = message as Record<string, unknown>;
      this.pino[level](
        { ...fields, ...obj },
        typeof msg === 'string' ? msg : typeof extra[0] === 'string' ? extra[0] : '',
      );
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
