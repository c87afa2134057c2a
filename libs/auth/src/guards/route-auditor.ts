import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, SCRAPE_TOKEN_KEY } from '@sluice/core';
import { ROLES_KEY } from '../decorators/authenticated.decorator';

/** Refuses to start when a route has neither @Public nor @Authenticated: nothing is open by accident. */
@Injectable()
export class RouteAuditor implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const unmarked: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name] as () => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const targets = [handler, wrapper.metatype];
        const marked =
          this.reflector.getAllAndOverride(IS_PUBLIC_KEY, targets) ||
          this.reflector.getAllAndOverride(ROLES_KEY, targets) ||
          this.reflector.getAllAndOverride(SCRAPE_TOKEN_KEY, targets);
        if (!marked) unmarked.push(`${wrapper.metatype.name}.${name}`);
      }
    }
    if (unmarked.length) {
      throw new Error(`Routes without @Public() or @Authenticated(): ${unmarked.join(', ')}`);
    }
  }
}
