import { createSluiceClient, type ResponseHook, type SluiceClient, type SluiceClientOptions } from '@sluice/sdk';
import type { TestApp } from './test-app';

/** How a test client authenticates: an access token, or any of the SDK's credential options. */
export type SdkAuth = string | Pick<SluiceClientOptions, 'token' | 'refreshToken' | 'apiKey' | 'tenantId'>;

export interface SdkClientOptions {
  /** Called with every answer (after the suite-wide hooks); throwing fails the call. */
  onResponse?: ResponseHook;
  /** A fetch to send through instead of the global one (to count or delay requests). */
  fetch?: typeof globalThis.fetch;
  onTokens?: SluiceClientOptions['onTokens'];
}

/**
 * Hooks every SDK client of the test run reports its answers to, e.g. a validator that checks
 * each answer against openapi.json: `responseHooks.add(validate)` once, in a setup file or a suite.
 */
export const responseHooks = new Set<ResponseHook>();

/** The typed SDK client for a test app, with the given credentials. */
export function sdkFor(t: TestApp, auth?: SdkAuth, options: SdkClientOptions = {}): SluiceClient {
  const credentials = typeof auth === 'string' ? { token: auth } : (auth ?? {});
  return createSluiceClient({
    baseUrl: t.baseUrl,
    ...credentials,
    fetch: options.fetch,
    onTokens: options.onTokens,
    async onResponse(method, path, status, body, response) {
      for (const hook of responseHooks) await hook(method, path, status, body, response);
      await options.onResponse?.(method, path, status, body, response);
    },
  });
}

/** Signs in through the SDK and returns a client holding the account's token pair. */
export async function sdkSignedIn(
  t: TestApp,
  who: { email: string; password: string; tenant?: string },
  options: SdkClientOptions = {},
): Promise<SluiceClient> {
  const client = sdkFor(t, undefined, options);
  await client.login(who.email, who.password, who.tenant);
  return client;
}
