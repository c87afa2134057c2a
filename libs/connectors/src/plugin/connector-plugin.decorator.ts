import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { type DialectSpec, registerDialect } from '@sluice/core';
import '../plugins/built-in-dialects';
import { ConnectorTypeInfo } from './connector-plugin';

export const CONNECTOR_PLUGIN = 'sluice:connector-plugin';

/**
 * Marks a connector type; the registry finds every class carrying it at start. A SQL type names
 * its dialect by its spec, which is registered here: the DTOs, the examples and the guard know
 * the dialect from then on, with no other list to edit.
 */
export const ConnectorPlugin = ({
  dialect,
  ...info
}: Omit<ConnectorTypeInfo, 'description' | 'capabilities' | 'destinationFields' | 'dialect' | 'syncMode'> &
  Partial<Pick<ConnectorTypeInfo, 'description' | 'capabilities' | 'destinationFields' | 'syncMode'>> & {
    dialect?: DialectSpec;
  }): ClassDecorator =>
  applyDecorators(
    Injectable(),
    SetMetadata(CONNECTOR_PLUGIN, {
      description: '',
      capabilities: ['test'],
      destinationFields: [],
      syncMode: 'snapshot',
      ...info,
      ...(dialect ? { dialect: registerDialect(dialect).name } : {}),
    } satisfies ConnectorTypeInfo),
  );
