import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { rootsOverlappingStorage } from './allowed-roots';

const toInt = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : Number(value);
// Anything but a known spelling stays a string, so IsBoolean refuses a typo such as "ture".
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  return value;
};
const toFloat = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : Number(value);
const emptyToUndefined = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

const KEY_PATTERN = '(?:[A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})';
const KEY_ID_PATTERN = '[A-Za-z0-9_-]{1,32}';

function urlWithProtocol(value: unknown, protocols: string[]): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname.length > 0;
  } catch {
    return false;
  }
}

@ValidatorConstraint({ name: 'postgresUrl' })
class PostgresUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return urlWithProtocol(value, ['postgres:', 'postgresql:']);
  }
  defaultMessage(): string {
    return 'must be a URL like postgresql://user:password@host:5432/sluice';
  }
}

@ValidatorConstraint({ name: 'httpUrl' })
class HttpUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return urlWithProtocol(value, ['http:', 'https:']);
  }
  defaultMessage(): string {
    return 'must be a URL like http://127.0.0.1:8080/v1';
  }
}

@ValidatorConstraint({ name: 'redisUrl' })
class RedisUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return urlWithProtocol(value, ['redis:', 'rediss:']);
  }
  defaultMessage(): string {
    return 'must be a URL like redis://127.0.0.1:6379';
  }
}

@ValidatorConstraint({ name: 'apartFromStorage' })
class ApartFromStorageConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const storage = (args.object as { STORAGE_DIR?: string }).STORAGE_DIR ?? '';
    return typeof value !== 'string' || rootsOverlappingStorage(value, storage).length === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    const storage = (args.object as { STORAGE_DIR?: string }).STORAGE_DIR ?? '';
    const bad = rootsOverlappingStorage(String(args.value), storage);
    return `must not overlap STORAGE_DIR (${storage}), where every tenant's uploads live: ${bad.join(', ')}`;
  }
}

/** Every environment variable Sluice reads, checked once at boot (see .env.example). */
export class EnvDto {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  // ---- database
  @Transform(emptyToUndefined)
  @IsOptional()
  @Validate(PostgresUrlConstraint)
  DATABASE_URL?: string;

  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case PostgreSQL identifier' })
  DATABASE_NAME = 'sluice';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @IsString()
  EMBEDDED_POSTGRES_DIR = '.data/postgres';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_POSTGRES_PORT = 54329;

  // ---- redis
  @Validate(RedisUrlConstraint)
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Unset, loadEnv derives it from the database name (see defaultRedisKeyPrefix). */
  @Matches(/^(?=.{1,100}$)[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/, {
    message: 'must be 1-100 letters, digits or _.-, in parts separated by single colons',
  })
  REDIS_KEY_PREFIX = 'sluice';

  // ---- secrets
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters (openssl rand -base64 48)' })
  JWT_SECRET!: string;

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(86_400)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(90 * 86_400)
  JWT_REFRESH_TTL_SECONDS = 14 * 86_400;

  @Matches(new RegExp(`^${KEY_PATTERN}$`), {
    message: 'must be a 32-byte key: 64 hex characters or 44 base64 characters (openssl rand -base64 32)',
  })
  ENCRYPTION_KEY!: string;

  @Matches(new RegExp(`^${KEY_ID_PATTERN}$`), { message: 'must be 1-32 letters, digits, _ or -' })
  ENCRYPTION_KEY_ID = 'k1';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(new RegExp(`^${KEY_ID_PATTERN}:${KEY_PATTERN}(?:,${KEY_ID_PATTERN}:${KEY_PATTERN})*$`), {
    message: 'must be a comma-separated list of keyId:key, each key 32 bytes in hex or base64',
  })
  ENCRYPTION_OLD_KEYS?: string;

  // ---- network and HTTP
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  SAFE_NETWORK_ALLOW?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @Matches(/^\d+(?:b|kb|mb)$/i, { message: 'must be a size such as 512kb or 1mb' })
  BODY_LIMIT = '1mb';

  /** Deepest nesting of objects and arrays accepted in a JSON body (400 JSON_TOO_DEEP beyond). */
  @Transform(toInt)
  @IsInt()
  @Min(4)
  @Max(1000)
  JSON_MAX_DEPTH = 32;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_KEEPALIVE_TIMEOUT_MS = 5_000;

  /** On SIGTERM, how long requests in flight may take to finish before the API exits, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SHUTDOWN_GRACE_MS = 7_000;

  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;

  /**
   * The API is reached only over HTTPS: always send HSTS and CSP upgrade-insecure-requests.
   * Otherwise they go only with requests that arrived over TLS (behind a proxy: TRUST_PROXY and
   * X-Forwarded-Proto: https), so /docs still loads over plain http://<server>:3000.
   */
  @Transform(toBool)
  @IsBoolean()
  HTTPS_ONLY = false;

  // ---- rate limits
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 1200;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT_PER_IP = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT_PER_ACCOUNT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  LOGIN_RATE_LIMIT_WINDOW_SECONDS = 300;

  // ---- first start
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  BOOTSTRAP_TENANT = 'Default';

  @Matches(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'must be an e-mail address' })
  BOOTSTRAP_ADMIN_EMAIL = 'admin@sluice.local';

  @IsString()
  @MinLength(8, { message: 'must be at least 8 characters' })
  BOOTSTRAP_ADMIN_PASSWORD = 'sluice-admin-password';

  // ---- queue dashboard
  /** Name of the operator tenant, whose admins alone may open /admin/queues (it shows every tenant's jobs); unset means BOOTSTRAP_TENANT. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  DASHBOARD_TENANT?: string;

  /** Lifetime of the cookie that opens /admin/queues, seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  DASHBOARD_SESSION_TTL_SECONDS = 900;

  // ---- connectors
  @IsString()
  STORAGE_DIR = '.data/storage';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

  /** Largest body a webhook push may carry (POST /hooks/{id}); larger ones get 413 before being read. */
  @Transform(toInt)
  @IsInt()
  @Min(1_024)
  @Max(104_857_600)
  WEBHOOK_MAX_BODY_BYTES = 1_048_576;

  /** Pushes accepted per webhook connector per minute (429 with Retry-After beyond). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_RATE_LIMIT_PER_MINUTE = 120;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Validate(ApartFromStorageConstraint)
  SQLITE_ALLOWED_DIRS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Validate(ApartFromStorageConstraint)
  FOLDER_ALLOWED_ROOTS?: string;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  CONNECTOR_PROBE_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SQL_STATEMENT_TIMEOUT_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SQL_MAX_ROWS = 10_000;

  /** Bytes one query result may hold (its values as JSON); past it the rows are cut with truncatedReason 'bytes'. */
  @Transform(toInt)
  @IsInt()
  @Min(1_024)
  @Max(1_073_741_824)
  RESULT_MAX_BYTES = 4_194_304;

  /** SQLite files are opened in this many child processes at most (queries and introspection). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  SQLITE_POOL_SIZE = 2;

  /** SQLite tasks waiting for a free process; more are refused with 503. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  SQLITE_QUEUE_LIMIT = 100;

  /** Tables and views read at most when an SQLite file is introspected. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SQLITE_MAX_TABLES = 5_000;

  /** How long an introspected schema is served as fresh; after that a read serves it and refreshes it in the background. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  SCHEMA_CACHE_TTL_SECONDS = 3_600;

  /** Introspection of one connector's schema gives up after this long. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  SCHEMA_INTROSPECT_TIMEOUT_MS = 120_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  CIRCUIT_BREAKER_THRESHOLD = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  CIRCUIT_BREAKER_COOLDOWN_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  PROBE_RATE_LIMIT_PER_MINUTE = 100;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  CONNECTORS_FILE?: string;

  // ---- examples and history
  /** Query history entries kept per tenant; the hourly prune-history job deletes the oldest beyond this. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  HISTORY_MAX_PER_TENANT = 100_000;

  // ---- NL2SQL and the LLM (defaults; an admin may set a tenant's own with PUT /settings/llm)
  /** openai (also any OpenAI-compatible server through LLM_BASE_URL), anthropic or ollama; empty: no LLM. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['openai', 'anthropic', 'ollama'])
  LLM_PROVIDER?: 'openai' | 'anthropic' | 'ollama';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  LLM_MODEL?: string;

  /** An OpenAI-compatible server (vLLM, LM Studio, llama.cpp, Ollama's /v1), or the Anthropic/Ollama URL. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Validate(HttpUrlConstraint)
  LLM_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  LLM_API_KEY?: string;

  @Transform(toFloat)
  @IsNumber()
  @Min(0)
  @Max(2)
  LLM_TEMPERATURE = 0;

  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(200_000)
  LLM_MAX_TOKENS = 1_024;

  /** One LLM call gives up after this long. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  LLM_TIMEOUT_MS = 60_000;

  /** Bytes an outbound HTTP response (LLM, embeddings, remote APIs) may carry; past it the connection is closed. */
  @Transform(toInt)
  @IsInt()
  @Min(1_024)
  @Max(1_073_741_824)
  HTTP_RESPONSE_MAX_BYTES = 16_777_216;

  /** Retries of one LLM call on 429 and 5xx, with exponential backoff. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  LLM_MAX_RETRIES = 2;

  /** Generate, check and run rounds per question before giving up. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  NL2SQL_MAX_ATTEMPTS = 3;

  /** Wall-clock budget of one question, all attempts included. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(900_000)
  NL2SQL_TIME_BUDGET_MS = 120_000;

  /** Prompt budget for the schema part of the prompt (tables chosen for the question), in tokens. */
  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(200_000)
  NL2SQL_SCHEMA_TOKEN_BUDGET = 3_000;

  /** Ranks few-shot examples by embeddings too (fused with BM25): openai (or compatible) or ollama; empty: BM25 alone. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['openai', 'ollama'])
  EMBEDDINGS_PROVIDER?: 'openai' | 'ollama';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  EMBEDDINGS_MODEL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Validate(HttpUrlConstraint)
  EMBEDDINGS_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  EMBEDDINGS_API_KEY?: string;

  // ---- worker and metrics
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 2;

  /** A file the worker rewrites every 10 s while Redis answers, for a container health check; unset: none. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  WORKER_HEARTBEAT_FILE?: string;

  @Transform(toBool)
  @IsBoolean()
  METRICS_ENABLED = true;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_EVENT_STREAMS_PER_USER = 5;

  /** Questions (POST /nl2sql/query and /query/stream) one tenant may have in flight at once, across instances. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  NL2SQL_MAX_CONCURRENT_PER_TENANT = 8;

  /** Sync runs (queued or running, all connectors) one tenant may have at once; one more answers 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SYNC_MAX_ACTIVE_PER_TENANT = 10;

  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'must be at least 24 characters (openssl rand -base64 32)' })
  @MaxLength(512)
  METRICS_TOKEN?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  QUEUE_LOCK_DURATION_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  QUEUE_STALLED_INTERVAL_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(7 * 86_400_000)
  QUEUE_JOB_TIMEOUT_MS = 6 * 3_600_000;
}

/** Passwords that ship in .env.example or are trivially guessed: refused when NODE_ENV=production. */
export const WEAK_BOOTSTRAP_PASSWORDS = new Set([
  'sluice-admin-password',
  'change-me',
  'changeme',
  'password',
  'password123',
  'admin',
  'administrator',
  '12345678',
]);
