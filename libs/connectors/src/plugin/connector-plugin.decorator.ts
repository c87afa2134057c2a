import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { ConnectorTypeInfo } from './connector-plugin';

export const CONNECTOR_PLUGIN = 'sluice:connector-plugin';

/** Marks a connector type; the registry finds every class carrying it at start. */
export const ConnectorPlugin = (
  info: Omit<ConnectorTypeInfo, 'description' | 'capabilities' | 'destinationFields'> &
    Partial<Pick<ConnectorTypeInfo, 'description' | 'capabilities' | 'destinationFields'>>,
): ClassDecorator =>
  applyDecorators(
    Injectable(),
    SetMetadata(CONNECTOR_PLUGIN, {
      description: '',
      capabilities: ['test'],
      destinationFields: [],
      ...info,
    } satisfies ConnectorTypeInfo),
  );
