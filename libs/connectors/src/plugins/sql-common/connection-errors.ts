import { SafeNetworkError } from '@sluice/core';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import { DeadlineError } from './deadline';

const UNREACHABLE = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST']);
const TLS_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Removes secrets a driver might echo back. Drivers we use do not put passwords in messages, but a
 * message reaching a user must not depend on that staying true.
 */
export function redact(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}

/**
 * A message for transport-level failures (socket, TLS, deadline) that every driver reports alike,
 * or undefined when the error came from the server's own protocol.
 */
export function describeTransportError(error: unknown, target: string): string | undefined {
  if (error instanceof DeadlineError) {
    return error.reason === 'timeout'
      ? `Timed out after ${error.timeoutMs} ms waiting for ${target}: check the host, port and firewall.`
      : 'The connection attempt was cancelled.';
  }
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') {
    return `Connection refused by ${target}: check the host and port, and that the server accepts TCP connections.`;
  }
  if (code && UNREACHABLE.has(code)) return `Host ${target} is unreachable: check the host, port and firewall.`;
  if (code && CLOSED.has(code)) return `The connection to ${target} was closed by the server or the network.`;
  if (code && TLS_CERTIFICATE.has(code)) {
    return `The server's TLS certificate was not accepted (${code}): check config.ssl.mode and config.ssl.ca.`;
  }
  return undefined;
}

/**
 * What a query or introspection call throws when it could not get a connection. The address
 * guard's refusal is passed through untouched: the caller turns it into a 4xx of its own.
 */
export function connectionFailed(error: unknown, describe: (error: unknown) => string): Error {
  if (error instanceof SafeNetworkError || error instanceof ConnectorRequestError) return error;
  return new ConnectorRequestError('CONNECTION_FAILED', describe(error));
}
