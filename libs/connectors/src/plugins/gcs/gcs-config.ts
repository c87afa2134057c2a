import {
  normalizePrefix,
  optionalString,
  parseEndpoint,
  parseMaxObjects,
  problem,
  type ObjectStoreLocation,
} from '../object-storage/object-storage';
import type { GcsJsonTarget, ServiceAccount } from './gcs-json-api';

/** Configuration of a GCS connector, as parseConfig returns it. */
export interface GcsConfig extends ObjectStoreLocation {
  project?: string;
  apiEndpoint: URL;
  /** Set with a service account key: the JSON API. */
  json?: GcsJsonTarget;
  /** Set with HMAC keys: the S3-compatible XML API. */
  hmac?: { accessId: string; secret: string };
}

const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** `gs://bucket[/prefix]` → bucket and prefix. */
function parseGcsUrl(text: string, field: string): { bucket: string; prefix: string } {
  const match = /^gs:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  if (!match) throw problem(field, 'must look like gs://bucket or gs://bucket/prefix');
  return { bucket: match[1], prefix: match[2] ?? '' };
}

function parseServiceAccount(text: string): ServiceAccount {
  const field = 'authConfig.serviceAccountJson';
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw problem(field, 'must be the JSON key file of a service account');
  }
  if (typeof key !== 'object' || key === null || (key.type !== undefined && key.type !== 'service_account')) {
    throw problem(field, 'must be a key of type service_account');
  }
  if (typeof key.client_email !== 'string' || !key.client_email.includes('@')) {
    throw problem(field, 'must carry client_email');
  }
  if (typeof key.private_key !== 'string' || !key.private_key.includes('PRIVATE KEY')) {
    throw problem(field, 'must carry a PEM private_key');
  }
  const tokenUri = parseEndpoint(key.token_uri ?? DEFAULT_TOKEN_URI, field);
  return { clientEmail: key.client_email, privateKey: key.private_key, tokenUri: tokenUri! };
}

/** Checks a GCS configuration: bucket and project, or a gs:// URL (`gcsUrl`, or the seed's `gcs_url`). */
export function parseGcsConfig(config: Record<string, unknown>, auth: Record<string, unknown>): GcsConfig {
  const urlField = config.gcsUrl !== undefined ? 'config.gcsUrl' : 'config.gcs_url';
  const url = optionalString(config.gcsUrl ?? config.gcs_url, urlField);
  const project = optionalString(config.project, 'config.project');
  let bucket = optionalString(config.bucket, 'config.bucket');
  let prefix = config.prefix;
  if (url !== undefined) {
    const parsed = parseGcsUrl(url, urlField);
    if (bucket !== undefined && bucket !== parsed.bucket)
      throw problem('config.bucket', `differs from the bucket of ${urlField}`);
    if (optionalString(prefix, 'config.prefix') !== undefined && parsed.prefix) {
      throw problem('config.prefix', `give the prefix in ${urlField} or in prefix, not both`);
    }
    bucket = parsed.bucket;
    prefix = parsed.prefix || prefix;
  } else {
    if (bucket === undefined) throw problem('config.bucket', 'bucket (with project) or gcsUrl is required');
    if (project === undefined) throw problem('config.project', 'project is required with bucket');
  }
  if (!BUCKET.test(bucket!)) {
    throw problem(
      url !== undefined ? urlField : 'config.bucket',
      'the bucket name must be 3 to 222 lower-case letters, digits, dots, hyphens and underscores',
    );
  }
  const apiEndpoint = parseEndpoint(config.apiEndpoint, 'config.apiEndpoint') ?? new URL(DEFAULT_ENDPOINT);
  const location = {
    name: bucket!,
    prefix: normalizePrefix(prefix, url !== undefined && !config.prefix ? urlField : 'config.prefix'),
    maxObjects: parseMaxObjects(config.maxObjects),
  };

  const json = optionalString(auth.serviceAccountJson, 'authConfig.serviceAccountJson');
  const accessId = optionalString(auth.hmacAccessId, 'authConfig.hmacAccessId');
  const secret = optionalString(auth.hmacSecret, 'authConfig.hmacSecret');
  if (json !== undefined && (accessId !== undefined || secret !== undefined)) {
    throw problem('authConfig', 'give serviceAccountJson or HMAC keys, not both');
  }
  const common = { ...location, ...(project ? { project } : {}), apiEndpoint };
  if (json !== undefined) {
    return { ...common, json: { ...location, apiEndpoint, serviceAccount: parseServiceAccount(json) } };
  }
  if (accessId === undefined && secret === undefined) {
    throw problem('authConfig', 'give serviceAccountJson, or hmacAccessId with hmacSecret');
  }
  if (accessId === undefined) throw problem('authConfig.hmacAccessId', 'hmacAccessId is required with hmacSecret');
  if (secret === undefined) throw problem('authConfig.hmacSecret', 'hmacSecret is required with hmacAccessId');
  return { ...common, hmac: { accessId, secret } };
}
