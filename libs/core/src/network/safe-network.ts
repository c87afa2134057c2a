import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const ALLOW_ENV = 'SAFE_NETWORK_ALLOW';

/** Exactly what to set to reach `entry`, e.g. a database on the machine Sluice runs on. */
function allowHint(entry: string): string {
  return (
    `If this is intended, set ${ALLOW_ENV}=${entry} (a comma-separated list of hosts, addresses or CIDR ranges) ` +
    'in the environment or .env of both the API and the worker, and restart them.'
  );
}

/** Refused before any connection is made: the address is not one connectors may reach. */
export class SafeNetworkError extends Error {
  readonly code: 'ADDRESS_REFUSED' | 'HOST_NOT_FOUND' = 'ADDRESS_REFUSED';
  override readonly name: string = 'SafeNetworkError';

  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * The host name does not resolve (a typo, or a name only another network knows). Still a
 * SafeNetworkError, since no connection was attempted, but one a user fixes in the host setting
 * rather than in SAFE_NETWORK_ALLOW.
 */
export class HostNotFoundError extends SafeNetworkError {
  override readonly code = 'HOST_NOT_FOUND';
  override readonly name = 'HostNotFoundError';

  constructor(host: string) {
    super(
      `Could not resolve host ${host}. Check the host name and that it is reachable from the server.`,
      'host could not be resolved',
    );
  }
}

export interface ResolvedAddress {
  host: string;
  address: string;
  family: 4 | 6;
}

export type LookupFn = (host: string) => Promise<Array<{ address: string; family: number }>>;

const defaultLookup: LookupFn = (host) => dns.lookup(host, { all: true, verbatim: true });

type IpType = 'ipv4' | 'ipv6';

interface Rule {
  list: BlockList;
  reason: string;
}

function rules(type: IpType, entries: Array<[string, string]>): Rule[] {
  return entries.map(([cidr, reason]) => {
    const [network, prefix] = cidr.split('/');
    const list = new BlockList();
    list.addSubnet(network, Number(prefix), type);
    return { list, reason };
  });
}

// First match wins, so the specific metadata and broadcast addresses sit above
// the wider ranges that contain them and get the more useful reason.
const IPV4_RULES = rules('ipv4', [
  ['169.254.169.254/32', 'cloud metadata address'],
  ['100.100.100.200/32', 'cloud metadata address'],
  ['255.255.255.255/32', 'broadcast address'],
  ['0.0.0.0/8', 'this-network address'],
  ['10.0.0.0/8', 'private network address'],
  ['172.16.0.0/12', 'private network address'],
  ['192.168.0.0/16', 'private network address'],
  ['127.0.0.0/8', 'loopback address'],
  ['169.254.0.0/16', 'link-local address'],
  ['100.64.0.0/10', 'carrier-grade NAT address'],
  ['192.0.0.0/24', 'reserved address'],
  ['192.0.2.0/24', 'documentation address'],
  ['198.18.0.0/15', 'benchmarking address'],
  ['198.51.100.0/24', 'documentation address'],
  ['203.0.113.0/24', 'documentation address'],
  ['224.0.0.0/4', 'multicast address'],
  ['240.0.0.0/4', 'reserved address'],
]);

const IPV6_RULES = rules('ipv6', [
  ['fd00:ec2::254/128', 'cloud metadata address'],
  ['::/128', 'unspecified address'],
  ['::1/128', 'loopback address'],
  ['fc00::/7', 'unique local address'],
  ['fe80::/10', 'link-local address'],
  ['fec0::/10', 'site-local address'],
  ['ff00::/8', 'multicast address'],
  ['2001:db8::/32', 'documentation address'],
  ['3fff::/20', 'documentation address'],
  ['100::/64', 'discard-only address'],
  // Local-use NAT64 prefixes can translate to any IPv4 address, including
  // private ones, and the embedding is not fixed, so they cannot be unwrapped.
  ['64:ff9b:1::/48', 'local-use NAT64 address'],
]);

// Host names that cloud providers answer with instance credentials. Refused by
// name so a hostile resolver cannot point them somewhere that passes the range
// check while the platform's own resolver still reaches the metadata service.
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'metadata.azure.internal']);

interface Embedding {
  list: BlockList;
  // Which two 16-bit groups carry the IPv4 address.
  at: number;
}

function embedding(cidr: string, at: number): Embedding {
  const [network, prefix] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), 'ipv6');
  return { list, at };
}

// IPv6 forms that the kernel or a gateway turns into an IPv4 connection; the
// IPv4 address inside decides, otherwise ::ffff:127.0.0.1 would walk past the
// loopback rule.
const EMBEDDINGS: Embedding[] = [
  embedding('::ffff:0:0/96', 6), // IPv4-mapped
  embedding('::ffff:0:0:0/96', 6), // IPv4-translated
  embedding('64:ff9b::/96', 6), // well-known NAT64
  embedding('2002::/16', 1), // 6to4
];

// The deprecated IPv4-compatible form (::a.b.c.d) shares its prefix with :: and
// ::1, which keep their own IPv6 reasons.
const IPV4_COMPATIBLE = embedding('::/96', 6);
const UNSPECIFIED_OR_LOOPBACK = new BlockList();
UNSPECIFIED_OR_LOOPBACK.addSubnet('::', 127, 'ipv6');

const HOST_LABEL = /^[a-z0-9_-]{1,63}$/;

function isHostName(host: string): boolean {
  return host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label));
}

function ipType(family: 4 | 6): IpType {
  return family === 4 ? 'ipv4' : 'ipv6';
}

function stripBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

// Expects the URL parser's output, which never has a dotted IPv4 tail or a zone.
function expandIpv6(address: string): number[] {
  const [head, tail] = address.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function embeddedIpv4(address: string): string | undefined {
  if (IPV4_COMPATIBLE.list.check(address, 'ipv6') && UNSPECIFIED_OR_LOOPBACK.check(address, 'ipv6')) {
    return undefined;
  }
  const match = [...EMBEDDINGS, IPV4_COMPATIBLE].find((candidate) => candidate.list.check(address, 'ipv6'));
  if (!match) return undefined;
  const groups = expandIpv6(address);
  const high = groups[match.at];
  const low = groups[match.at + 1];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * Trims, drops brackets and one trailing dot, lower-cases, and lets the WHATWG
 * URL parser canonicalise the rest: odd IPv4 spellings (2130706433, 0x7f.1,
 * 0177.0.0.1, 127.1), full-width digits, percent-escapes and IDN all come out
 * in the one form the range checks understand. Returns undefined when the
 * text is not a plain host.
 */
function canonicalHost(raw: string): string | undefined {
  let host = stripBrackets(raw.trim()).toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  // Delimiters would let the parser pick a host other than the one the caller
  // sees, e.g. "public.example@127.0.0.1" or "a.example:80".
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
  if (!host || /[\s\x00-\x1f\x7f/\\?#@]/.test(host)) return undefined;
  const literalV6 = isIP(host) === 6;
  if (!literalV6 && host.includes(':')) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${literalV6 ? `[${host}]` : host}`).hostname;
  } catch {
    return undefined;
  }
  hostname = stripBrackets(hostname);
  return isIP(hostname) !== 0 || isHostName(hostname) ? hostname : undefined;
}

function refusal(target: string, reason: string, detail = reason): SafeNetworkError {
  return new SafeNetworkError(`Refused to connect to ${target} (${detail}). ${allowHint(target)}`, reason);
}

function invalidHost(): SafeNetworkError {
  // The raw text is left out on purpose: a mistyped URL can carry user:password@.
  return new SafeNetworkError(
    'Refused to connect: the host is empty or not a valid host name or IP address. Check the host setting.',
    'invalid host',
  );
}

interface Verdict {
  reason: string;
  via?: string;
}

/**
 * Decides whether outbound connections may reach an address. Everything on the
 * internet is allowed; loopback, private, link-local, metadata and reserved
 * ranges are refused unless SAFE_NETWORK_ALLOW names them.
 */
export class SafeNetwork {
  private readonly allowedNames = new Set<string>();
  private readonly allowedRanges = new BlockList();

  constructor(
    allow: string | undefined,
    private readonly lookup: LookupFn = defaultLookup,
  ) {
    for (const entry of (allow ?? '').split(',')) {
      const trimmed = entry.trim();
      if (trimmed) this.addAllowEntry(trimmed);
    }
  }

  async resolve(host: string): Promise<ResolvedAddress> {
    const name = typeof host === 'string' ? canonicalHost(host) : undefined;
    if (!name) throw invalidHost();

    const literal = isIP(name);
    if (literal !== 0) {
      this.check(name);
      return { host: name, address: name, family: literal as 4 | 6 };
    }

    if (this.allowedNames.has(name)) {
      const [first] = await this.lookupAll(name);
      return { host: name, ...first };
    }
    if (METADATA_HOSTS.has(name)) throw refusal(name, 'cloud metadata host name');

    // Every answer must pass, not only the first: a resolver that mixes a public
    // and a private address is the usual DNS rebinding set-up.
    const answers = await this.lookupAll(name);
    for (const answer of answers) {
      const verdict = this.verdict(answer.address, answer.family);
      if (verdict) {
        const via = verdict.via ? `, IPv4 ${verdict.via}` : '';
        throw refusal(name, verdict.reason, `resolves to ${answer.address}, ${verdict.reason}${via}`);
      }
    }
    return { host: name, ...answers[0] };
  }

  check(address: string): void {
    const ip = typeof address === 'string' ? this.canonicalIp(address) : undefined;
    if (!ip) {
      throw new SafeNetworkError(
        'Refused to connect: the address is not a valid IP address. Check the host setting.',
        'invalid address',
      );
    }
    const verdict = this.verdict(ip.address, ip.family);
    if (verdict) {
      throw refusal(ip.address, verdict.reason, verdict.via ? `${verdict.reason}, IPv4 ${verdict.via}` : undefined);
    }
  }

  private verdict(address: string, family: 4 | 6): Verdict | undefined {
    if (this.allowedRanges.check(address, ipType(family))) return undefined;
    if (family === 6) {
      const inner = embeddedIpv4(address);
      if (inner !== undefined) {
        const verdict = this.verdict(inner, 4);
        return verdict && { ...verdict, via: inner };
      }
    }
    const rule = (family === 4 ? IPV4_RULES : IPV6_RULES).find((r) => r.list.check(address, ipType(family)));
    return rule && { reason: rule.reason };
  }

  // Only strict literals: a caller that connects with the text it passed here
  // must not have a different parser read it as another address.
  private canonicalIp(text: string): ResolvedAddress | undefined {
    const stripped = stripBrackets(text.trim());
    if (isIP(stripped) === 0) return undefined;
    const address = canonicalHost(stripped);
    const family = address ? isIP(address) : 0;
    return address && family !== 0 ? { host: address, address, family: family as 4 | 6 } : undefined;
  }

  private async lookupAll(name: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
    let answers: Array<{ address: string; family: number }>;
    try {
      answers = await this.lookup(name);
    } catch {
      answers = [];
    }
    const valid: Array<{ address: string; family: 4 | 6 }> = [];
    for (const answer of answers ?? []) {
      const ip = this.canonicalIp(String(answer?.address ?? ''));
      if (!ip) {
        throw new SafeNetworkError(
          `Refused to connect to ${name}: the resolver answered with something that is not an IP address.`,
          'invalid address',
        );
      }
      valid.push({ address: ip.address, family: ip.family });
    }
    if (valid.length === 0) throw new HostNotFoundError(name);
    return valid;
  }

  private addAllowEntry(entry: string): void {
    const invalid = (why: string) =>
      new Error(`${ALLOW_ENV} entry "${entry}" is not valid: ${why}. Use host names, IP addresses or CIDR ranges.`);

    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const network = stripBrackets(entry.slice(0, slash).trim());
      const prefixText = entry.slice(slash + 1).trim();
      const family = isIP(network);
      if (family === 0) throw invalid('the range does not start with an IP address');
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
        throw invalid(`the prefix length must be a whole number from 0 to ${max}`);
      }
      this.allowedRanges.addSubnet(network, Number(prefixText), ipType(family as 4 | 6));
      return;
    }

    const name = canonicalHost(entry);
    if (!name) throw invalid('it is neither a host name nor an IP address');
    const family = isIP(name);
    if (family !== 0) this.allowedRanges.addAddress(name, ipType(family as 4 | 6));
    else this.allowedNames.add(name);
  }
}
