import type { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ConnectorRegistry } from './connector.registry';
import type { ConnectorContext, ProbeOutcome } from './plugin/connector-plugin';
import { ConnectorPlugin } from './plugin/connector-plugin.decorator';

const schema = { type: 'object', properties: {} };

abstract class FakePlugin {
  readonly configSchema = schema;
  readonly authSchema = schema;
  parseConfig(config: Record<string, unknown>): Record<string, unknown> {
    return config;
  }
  async test(_ctx: ConnectorContext): Promise<ProbeOutcome> {
    return { success: true, message: 'ok', details: {} };
  }
}

const base = { category: 'files', displayName: 'Fake', readiness: 'ready' } as const;

@ConnectorPlugin({ ...base, type: 'honest', capabilities: ['test', 'discover', 'upload'] })
class HonestPlugin extends FakePlugin {
  async *discover() {
    yield [];
  }
  upload(config: Record<string, unknown>) {
    return config;
  }
}

@ConnectorPlugin({ ...base, type: 'boastful', capabilities: ['test', 'discover', 'read'] })
class BoastfulPlugin extends FakePlugin {
  async *discover() {
    yield [];
  }
}

@ConnectorPlugin({ ...base, type: 'modest', capabilities: ['test'] })
class ModestPlugin extends FakePlugin {
  readonly sql = {
    dialect: 'sqlite' as const,
    introspect: () => Promise.reject(new Error('unused')),
    execute: () => Promise.reject(new Error('unused')),
  };
}

@ConnectorPlugin({ ...base, type: 'half_sql', capabilities: ['test', 'introspect'] })
class HalfSqlPlugin extends FakePlugin {
  readonly sql = {
    dialect: 'sqlite' as const,
    introspect: () => Promise.reject(new Error('unused')),
    execute: () => Promise.reject(new Error('unused')),
  };
}

function registryOf(...classes: Array<new () => FakePlugin>): ConnectorRegistry {
  const wrappers = classes.map((metatype) => ({ metatype, instance: new metatype() }) as unknown as InstanceWrapper);
  return new ConnectorRegistry({ getProviders: () => wrappers } as unknown as DiscoveryService);
}

describe('ConnectorRegistry', () => {
  it('registers plugins whose declared capabilities match the methods they implement', () => {
    const registry = registryOf(HonestPlugin);
    registry.onModuleInit();
    expect(registry.get('honest').info.capabilities).toEqual(['test', 'discover', 'upload']);
  });

  it('stops the start when a plugin declares a capability it does not implement', () => {
    expect(() => registryOf(HonestPlugin, BoastfulPlugin).onModuleInit()).toThrow(
      'Connector plugin "boastful" declares "read" but does not implement read()',
    );
  });

  it('stops the start when a plugin implements methods of capabilities it does not declare', () => {
    const start = () => registryOf(ModestPlugin).onModuleInit();
    expect(start).toThrow(/Connector plugin "modest" implements sql\.introspect\(\) but does not declare "introspect"/);
    expect(start).toThrow(/implements sql\.execute\(\) but does not declare "execute"/);
    expect(() => registryOf(HalfSqlPlugin).onModuleInit()).toThrow(
      'Connector plugin "half_sql" implements sql.execute() but does not declare "execute"',
    );
  });

  it('still refuses two plugins of the same type', () => {
    expect(() => registryOf(HonestPlugin, HonestPlugin).onModuleInit()).toThrow(
      'Two connector plugins declare the type "honest"',
    );
  });
});
