import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { safeAgents } from './safe-agents';
import { SafeNetwork } from './safe-network';

function getStatus(url: string, agent: import('node:http').Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('safeAgents', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (hits = 0));

  it('refuses a loopback literal before connecting, naming the guard', async () => {
    const { httpAgent } = safeAgents(new SafeNetwork(undefined));
    await expect(getStatus(`http://127.0.0.1:${port}/`, httpAgent)).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' });
    expect(hits).toBe(0);
  });

  it('refuses a name that resolves to a private address', async () => {
    const net = new SafeNetwork(undefined, async () => [{ address: '127.0.0.1', family: 4 }]);
    const { httpAgent } = safeAgents(net);
    await expect(getStatus(`http://store.example:${port}/`, httpAgent)).rejects.toMatchObject({
      code: 'ADDRESS_REFUSED',
    });
    expect(hits).toBe(0);
  });

  it('connects to the judged address when the destination is allowed', async () => {
    const net = new SafeNetwork('127.0.0.1', async () => [{ address: '127.0.0.1', family: 4 }]);
    const { httpAgent } = safeAgents(net);
    expect(await getStatus(`http://127.0.0.1:${port}/`, httpAgent)).toBe(200);
    expect(await getStatus(`http://localhost:${port}/`, httpAgent)).toBe(200);
    expect(hits).toBe(2);
    httpAgent.destroy();
  });
});
