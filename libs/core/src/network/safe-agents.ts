import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, Socket, type LookupFunction } from 'node:net';
import type { SafeNetwork } from './safe-network';

/**
 * A DNS lookup for sockets that goes through the safe-network guard: the name is resolved and
 * judged by `net`, and the socket connects to the judged address only. Refusals reach the
 * socket as its connection error.
 */
export function safeLookup(net: SafeNetwork): LookupFunction {
  return (hostname, options, callback) => {
    net.resolve(hostname).then(
      (resolved) => {
        if ((options as { all?: boolean }).all) {
          (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
            { address: resolved.address, family: resolved.family },
          ]);
        } else callback(null, resolved.address, resolved.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/** A socket that fails with `error` as soon as someone listens, without dialling anything. */
function refusedSocket(error: Error): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(error));
  return socket;
}

type CreateConnection = (options: Record<string, unknown>, callback?: unknown) => Socket;

/**
 * Node skips the lookup for an IP literal, so an agent built on safeLookup alone would dial
 * `http://10.0.0.5` unjudged: literals are checked here, before a socket exists.
 */
function judgeLiterals<A extends HttpAgent>(agent: A, net: SafeNetwork): A {
  const create = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? '').replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      try {
        net.check(host);
      } catch (error) {
        return refusedSocket(error as Error);
      }
    }
    return create(options, callback);
  };
  return agent;
}

export interface SafeAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

/**
 * HTTP and HTTPS agents whose every connection is judged by the safe-network guard, for clients
 * that take an agent (cloud SDKs): names resolve through `net`, literals are checked, and
 * the socket connects to the judged address. Redirects are the client's business: SDKs that
 * follow them reach the next host through these agents again.
 */
export function safeAgents(net: SafeNetwork, options: AgentOptions = {}): SafeAgents {
  const shared: AgentOptions = { keepAlive: true, maxSockets: 16, ...options, lookup: safeLookup(net) };
  return {
    httpAgent: judgeLiterals(new HttpAgent(shared), net),
    httpsAgent: judgeLiterals(new HttpsAgent(shared), net),
  };
}
