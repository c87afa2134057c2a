import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { BadRequestError } from '@sluice/core';
import { assertCapabilitiesMatch } from './plugin/capabilities';
import { ConnectorPlugin, ConnectorTypeInfo } from './plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from './plugin/connector-plugin.decorator';

export interface RegisteredPlugin {
  info: ConnectorTypeInfo;
  plugin: ConnectorPlugin<unknown>;
}

/**
 * Every connector type, found at start among the providers carrying @ConnectorPlugin, each checked
 * to implement exactly the capabilities it declares.
 */
@Injectable()
export class ConnectorRegistry implements OnModuleInit {
  private readonly byType = new Map<string, RegisteredPlugin>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const info = wrapper.metatype
        ? (Reflect.getMetadata(CONNECTOR_PLUGIN, wrapper.metatype) as ConnectorTypeInfo | undefined)
        : undefined;
      if (!info || !wrapper.instance) continue;
      if (this.byType.has(info.type)) throw new Error(`Two connector plugins declare the type "${info.type}"`);
      const plugin = wrapper.instance as ConnectorPlugin<unknown>;
      // What GET /connector-types announces must be what the plugin can do: a mismatch stops the start.
      assertCapabilitiesMatch(info, plugin);
      this.byType.set(info.type, { info, plugin });
    }
  }

  list(): RegisteredPlugin[] {
    return [...this.byType.values()].sort((a, b) => a.info.type.localeCompare(b.info.type));
  }

  /** The plugin of a type; an unknown type is the caller's mistake (400, listing the known ones). */
  get(type: string): RegisteredPlugin {
    const found = this.byType.get(type);
    if (!found) {
      throw new BadRequestError(
        'UNKNOWN_CONNECTOR_TYPE',
        `Unknown connector type "${type}"; known types: ${[...this.byType.keys()].sort().join(', ')}`,
        [{ field: 'type', messages: ['is not a known connector type (see GET /api/v1/connector-types)'] }],
      );
    }
    return found;
  }
}
