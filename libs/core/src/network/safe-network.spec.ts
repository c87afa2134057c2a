import { HostNotFoundError, LookupFn, SafeNetwork, SafeNetworkError } from './safe-network';

// Stands in for DNS so the tests never leave the machine.
function fakeLookup(records: Record<string, string[]>): jest.MockedFunction<LookupFn> {
  return jest.fn(async (host: string) =>
    (records[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  );
}

const RECORDS: Record<string, string[]> = {
  'example.com': ['93.184.216.34'],
  'dual.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'private.example.com': ['10.1.2.3'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.7'],
  'rebind6.example.com': ['2606:4700:4700::1111', '::ffff:192.168.0.1'],
  'metadata.google.internal': ['93.184.216.34'],
  'db.internal': ['10.0.0.5'],
};

async function refusal(promise: Promise<unknown>): Promise<SafeNetworkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SafeNetworkError);
  return error as SafeNetworkError;
}

describe('SafeNetwork', () => {
  describe('resolve refuses', () => {
    const guard = new SafeNetwork(undefined, fakeLookup(RECORDS));

    it.each([
      ['127.0.0.1', 'loopback address'],
      ['10.0.0.1', 'private network address'],
      ['172.16.0.1', 'private network address'],
      ['172.31.255.255', 'private network address'],
      ['192.168.1.1', 'private network address'],
      ['100.64.0.1', 'carrier-grade NAT address'],
      ['169.254.169.254', 'cloud metadata address'],
      ['169.254.1.1', 'link-local address'],
      ['0.0.0.0', 'this-network address'],
      ['192.0.2.10', 'documentation address'],
      ['198.18.0.1', 'benchmarking address'],
      ['224.0.0.1', 'multicast address'],
      ['240.0.0.1', 'reserved address'],
      ['255.255.255.255', 'broadcast address'],
      ['::', 'unspecified address'],
      ['::1', 'loopback address'],
      ['[::1]', 'loopback address'],
      ['::ffff:127.0.0.1', 'loopback address'],
      ['::ffff:7f00:1', 'loopback address'],
      ['[::ffff:169.254.169.254]', 'cloud metadata address'],
      ['::127.0.0.1', 'loopback address'],
      ['2130706433', 'loopback address'],
      ['0x7f.1', 'loopback address'],
      ['0177.0.0.1', 'loopback address'],
      ['127.1', 'loopback address'],
      ['127.0.0.1.', 'loopback address'],
      ['  127.0.0.1  ', 'loopback address'],
      ['fd00:ec2::254', 'cloud metadata address'],
      ['fd12:3456::1', 'unique local address'],
      ['fe80::1', 'link-local address'],
      ['fec0::1', 'site-local address'],
      ['ff02::1', 'multicast address'],
      ['2001:db8::1', 'documentation address'],
      ['100::1', 'discard-only address'],
      ['64:ff9b::a00:1', 'private network address'],
      ['64:ff9b::127.0.0.1', 'loopback address'],
      ['2002:7f00:1::', 'loopback address'],
      ['2002:a9fe:a9fe::1', 'cloud metadata address'],
      ['metadata.google.internal', 'cloud metadata host name'],
      ['Metadata.Google.Internal.', 'cloud metadata host name'],
      ['metadata', 'cloud metadata host name'],
      ['instance-data', 'cloud metadata host name'],
      ['metadata.azure.internal', 'cloud metadata host name'],
      ['private.example.com', 'private network address'],
      ['rebind.example.com', 'private network address'],
      ['rebind6.example.com', 'private network address'],
    ])('%s (%s)', async (host, reason) => {
      const error = await refusal(guard.resolve(host));
      expect(error.reason).toBe(reason);
      expect(error.code).toBe('ADDRESS_REFUSED');
    });

    it.each([
      '',
      '   ',
      '[]',
      'exa mple.com',
      'user:secret@example.com',
      'example.com:8080',
      'example.com/path',
      'example.com?x',
      'a..b',
      '*.example.com',
      '256.0.0.1',
      'fe80::1%eth0',
    ])('invalid host %j', async (host) => {
      const error = await refusal(guard.resolve(host));
      expect(error.reason).toBe('invalid host');
      expect(error.message).not.toContain('secret');
    });

    it('says when a host does not resolve, with a code of its own', async () => {
      const error = await refusal(guard.resolve('nowhere.example.com'));
      expect(error).toBeInstanceOf(HostNotFoundError);
      expect(error.code).toBe('HOST_NOT_FOUND');
      expect(error.reason).toBe('host could not be resolved');
      expect(error.message).toMatch(/could not resolve host nowhere\.example\.com/i);
      expect(error.message).not.toContain('SAFE_NETWORK_ALLOW');
    });

    it('treats a failing lookup as unresolvable', async () => {
      const failing = new SafeNetwork(undefined, () => Promise.reject(new Error('ENOTFOUND')));
      const error = await refusal(failing.resolve('example.com'));
      expect(error).toMatchObject({ code: 'HOST_NOT_FOUND', reason: 'host could not be resolved' });
    });

    it('asks the real resolver and says HOST_NOT_FOUND for a name under .invalid', async () => {
      // RFC 6761: .invalid never resolves, so no fake resolver is needed to prove it.
      const error = await refusal(new SafeNetwork(undefined).resolve('sluice-db.invalid'));
      expect(error.code).toBe('HOST_NOT_FOUND');
    });

    it('refuses a resolver answer that is not an IP address', async () => {
      const odd = new SafeNetwork(undefined, async () => [{ address: '2130706433', family: 4 }]);
      expect((await refusal(odd.resolve('example.com'))).reason).toBe('invalid address');
    });

    it('refuses metadata names before asking DNS', async () => {
      const lookup = fakeLookup(RECORDS);
      await refusal(new SafeNetwork(undefined, lookup).resolve('metadata.google.internal'));
      expect(lookup).not.toHaveBeenCalled();
    });
  });

  describe('resolve allows', () => {
    const lookup = fakeLookup(RECORDS);
    const guard = new SafeNetwork(undefined, lookup);

    it.each([
      ['8.8.8.8', '8.8.8.8', 4],
      ['2606:4700:4700::1111', '2606:4700:4700::1111', 6],
      ['[2606:4700:4700::1111]', '2606:4700:4700::1111', 6],
      ['::ffff:8.8.8.8', '::ffff:808:808', 6],
      ['64:ff9b::808:808', '64:ff9b::808:808', 6],
      ['2002:808:808::1', '2002:808:808::1', 6],
      ['172.32.0.1', '172.32.0.1', 4],
      ['example.com', '93.184.216.34', 4],
      ['EXAMPLE.com.', '93.184.216.34', 4],
      ['dual.example.com', '93.184.216.34', 4],
    ])('%s -> %s', async (host, address, family) => {
      const result = await guard.resolve(host);
      expect(result).toEqual({ host: expect.any(String), address, family });
    });

    it('returns the normalised host name with the address to connect to', async () => {
      // A lookup of its own: the shared one was already asked for example.com by the cases above.
      const own = fakeLookup(RECORDS);
      await expect(new SafeNetwork(undefined, own).resolve(' Example.COM. ')).resolves.toEqual({
        host: 'example.com',
        address: '93.184.216.34',
        family: 4,
      });
      expect(own.mock.calls).toEqual([['example.com']]);
    });

    it('does not look up IP literals', async () => {
      const spy = fakeLookup(RECORDS);
      await new SafeNetwork(undefined, spy).resolve('8.8.8.8');
      expect(spy).not.toHaveBeenCalled();
    });
  });

  describe('allow-list', () => {
    it.each([
      ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
      ['10.0.0.0/8', '10.1.2.3', '10.1.2.3'],
      [' 10.0.0.0/8 , ,192.168.0.0/16 ', '192.168.1.1', '192.168.1.1'],
      ['127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1'],
      ['127.0.0.1', '2130706433', '127.0.0.1'],
      ['10.0.0.0/8', '64:ff9b::a00:1', '64:ff9b::a00:1'],
      ['::1', '[::1]', '::1'],
      ['fd00::/8', 'fd00::5', 'fd00::5'],
      ['[fd00::]/8', 'fd00::5', 'fd00::5'],
    ])('SAFE_NETWORK_ALLOW=%j allows %s', async (allow, host, address) => {
      const guard = new SafeNetwork(allow, fakeLookup(RECORDS));
      await expect(guard.resolve(host)).resolves.toMatchObject({ address });
    });

    it('allows a host by name without range checks', async () => {
      const guard = new SafeNetwork('DB.Internal', fakeLookup(RECORDS));
      await expect(guard.resolve('db.internal')).resolves.toEqual({
        host: 'db.internal',
        address: '10.0.0.5',
        family: 4,
      });
    });

    it('lets a metadata name through only when it is listed by name', async () => {
      const guard = new SafeNetwork('metadata.google.internal', fakeLookup(RECORDS));
      await expect(guard.resolve('metadata.google.internal')).resolves.toMatchObject({ address: '93.184.216.34' });
    });

    it('matches names exactly, not as suffixes', async () => {
      const guard = new SafeNetwork('example.com', fakeLookup({ 'private.example.com': ['10.1.2.3'] }));
      expect((await refusal(guard.resolve('private.example.com'))).reason).toBe('private network address');
    });

    it('still refuses a listed name that does not resolve', async () => {
      const guard = new SafeNetwork('db.internal', fakeLookup({}));
      expect((await refusal(guard.resolve('db.internal'))).reason).toBe('host could not be resolved');
    });

    it('keeps refusing ranges that are not listed', async () => {
      const guard = new SafeNetwork('10.0.0.0/8', fakeLookup(RECORDS));
      expect((await refusal(guard.resolve('192.168.1.1'))).reason).toBe('private network address');
      expect((await refusal(guard.resolve('rebind6.example.com'))).reason).toBe('private network address');
    });

    it.each(['10.0.0.0/99', '10.0.0.0/', '10.0.0.0/8x', 'nonsense/8', '::/129', '*.example.com', 'a b', 'x:80'])(
      'rejects the entry %j at construction',
      (entry) => {
        expect(() => new SafeNetwork(`8.8.8.8,${entry}`)).toThrow(`"${entry}"`);
        expect(() => new SafeNetwork(entry)).toThrow(/SAFE_NETWORK_ALLOW/);
      },
    );

    it.each([undefined, '', ' , ,'])('treats %j as an empty list', (allow) => {
      expect(() => new SafeNetwork(allow).check('127.0.0.1')).toThrow(SafeNetworkError);
    });
  });

  describe('check', () => {
    const guard = new SafeNetwork(undefined, fakeLookup({}));

    it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '[2606:4700:4700::1111]'])('allows %s', (address) => {
      expect(() => guard.check(address)).not.toThrow();
    });

    it.each(['127.0.0.1', '::ffff:7f00:1', '2002:c0a8:101::', '::ffff:0:a00:1'])('refuses %s', (address) => {
      expect(() => guard.check(address)).toThrow(SafeNetworkError);
    });

    it.each(['2130706433', '127.1', 'example.com', '', 'fe80::1%eth0'])('refuses the non-literal %j', (address) => {
      expect(() => guard.check(address)).toThrow(expect.objectContaining({ reason: 'invalid address' }));
    });
  });

  describe('error message', () => {
    const guard = new SafeNetwork(undefined, fakeLookup(RECORDS));

    it('names the address and says exactly what to set to allow it', () => {
      expect(() => guard.check('10.0.0.1')).toThrow(
        'Refused to connect to 10.0.0.1 (private network address). ' +
          'If this is intended, set SAFE_NETWORK_ALLOW=10.0.0.1 (a comma-separated list of hosts, addresses or CIDR ranges) ' +
          'in the environment or .env of both the API and the worker, and restart them.',
      );
    });

    it('names the setting that reaches a database on this machine', async () => {
      const local = new SafeNetwork(undefined, fakeLookup({ localhost: ['127.0.0.1'] }));
      expect(() => local.check('127.0.0.1')).toThrow('set SAFE_NETWORK_ALLOW=127.0.0.1 ');
      // A name is allowed by name: the suggestion is the name the user typed.
      const error = await refusal(local.resolve('localhost'));
      expect(error.message).toContain('set SAFE_NETWORK_ALLOW=localhost ');
      // ... and following it works.
      const allowed = new SafeNetwork('localhost', fakeLookup({ localhost: ['127.0.0.1'] }));
      await expect(allowed.resolve('localhost')).resolves.toMatchObject({ address: '127.0.0.1' });
    });

    it('shows the IPv4 address hidden inside an IPv6 one', () => {
      expect(() => guard.check('::ffff:127.0.0.1')).toThrow(/::ffff:7f00:1 \(loopback address, IPv4 127\.0\.0\.1\)/);
    });

    it('names the host and the address it resolved to', async () => {
      const error = await refusal(guard.resolve('private.example.com'));
      expect(error.message).toContain('private.example.com');
      expect(error.message).toContain('10.1.2.3');
      expect(error.message).toContain('SAFE_NETWORK_ALLOW');
      expect(error.name).toBe('SafeNetworkError');
    });
  });
});
