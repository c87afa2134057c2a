import type { Capability, ConnectorPlugin, ConnectorTypeInfo } from './connector-plugin';

/** The member of the plugin contract that provides each capability. */
const PROVIDED_BY: Record<Capability, { member: string; present(plugin: ConnectorPlugin<unknown>): boolean }> = {
  test: { member: 'test()', present: (plugin) => typeof plugin.test === 'function' },
  introspect: { member: 'sql.introspect()', present: (plugin) => typeof plugin.sql?.introspect === 'function' },
  execute: { member: 'sql.execute()', present: (plugin) => typeof plugin.sql?.execute === 'function' },
  discover: { member: 'discover()', present: (plugin) => typeof plugin.discover === 'function' },
  read: { member: 'read()', present: (plugin) => typeof plugin.read === 'function' },
  upload: { member: 'upload()', present: (plugin) => typeof plugin.upload === 'function' },
};

/** The capabilities a plugin really has, judged by the members it implements, in contract order. */
export function implementedCapabilities(plugin: ConnectorPlugin<unknown>): Capability[] {
  return (Object.keys(PROVIDED_BY) as Capability[]).filter((capability) => PROVIDED_BY[capability].present(plugin));
}

/**
 * Checks that the capabilities a type declares (and GET /connector-types announces) are exactly
 * the ones its plugin implements. A mismatch is a programming error: it throws, stopping the start,
 * and names the type, the capability and the member that is missing or undeclared.
 */
export function assertCapabilitiesMatch(info: ConnectorTypeInfo, plugin: ConnectorPlugin<unknown>): void {
  const declared = new Set(info.capabilities);
  const problems: string[] = [];
  for (const capability of declared) {
    const provider = PROVIDED_BY[capability];
    if (!provider) problems.push(`declares "${capability}", which is not a known capability`);
    else if (!provider.present(plugin)) {
      problems.push(`declares "${capability}" but does not implement ${provider.member}`);
    }
  }
  for (const capability of implementedCapabilities(plugin)) {
    if (!declared.has(capability)) {
      problems.push(`implements ${PROVIDED_BY[capability].member} but does not declare "${capability}"`);
    }
  }
  if (problems.length) {
    throw new Error(`Connector plugin "${info.type}" ${problems.join('; ')} (see capabilities in @ConnectorPlugin)`);
  }
}
