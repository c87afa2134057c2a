import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { ConnectorEntity } from './connector.entity';
import { ConnectorRegistry } from './connector.registry';
import { ConnectorRepository } from './connector.repository';
import { ConnectorRuntime } from './connector.runtime';
import { ConnectorService } from './connector.service';
import { ContentReader } from './files/content-reader';
import { FileConnectorService } from './files/file-connector.service';
import { fileStorageProvider } from './files/file-storage.provider';
import { UploadService } from './files/upload.service';
import { ManagedConnectorsProvisioner } from './managed/managed-connectors';
import { loadPluginClasses } from './plugin/plugin-loader';
import { CircuitBreaker } from './probes/circuit-breaker';
import { ConnectorProbeService } from './probes/connector-probe.service';
import { WebhookIntake } from './webhooks/webhook-intake.service';

const PLUGINS = loadPluginClasses(join(__dirname, 'plugins'));

/** Domain of connectors: the plugins, their registry, the connector resource and probes. */
@Module({
  imports: [TypeOrmModule.forFeature([ConnectorEntity]), DiscoveryModule],
  providers: [
    ...PLUGINS,
    ConnectorRegistry,
    ConnectorRepository,
    ConnectorRuntime,
    ConnectorService,
    CircuitBreaker,
    ConnectorProbeService,
    ManagedConnectorsProvisioner,
    fileStorageProvider,
    UploadService,
    ContentReader,
    FileConnectorService,
    WebhookIntake,
  ],
  exports: [
    WebhookIntake,
    FileConnectorService,
    ConnectorRegistry,
    ConnectorRuntime,
    ConnectorService,
    ConnectorProbeService,
    ManagedConnectorsProvisioner,
    UploadService,
    ContentReader,
  ],
})
export class ConnectorsModule {}
