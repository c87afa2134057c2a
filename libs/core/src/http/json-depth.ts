import { inspectJson, JSON_MAX_MEMBERS, JSON_MAX_VALUES } from '../validation/json-inspection';

function bodyError(type: string, message: string): Error {
  return Object.assign(new Error(message), { status: 400, statusCode: 400, expose: true, type });
}

/** Refuses, as a body-parser error the exception filter names, a JSON body {@link inspectJson} flags. */
export function checkJsonBody(buf: Buffer, depthLimit: number): void {
  const found = inspectJson(buf, depthLimit, JSON_MAX_MEMBERS, JSON_MAX_VALUES);
  if (found.tooDeep) throw bodyError('entity.too.deep', `JSON nested deeper than ${depthLimit} levels`);
  if (found.tooWide) throw bodyError('entity.too.wide', `a JSON object holds more than ${JSON_MAX_MEMBERS} members`);
  if (found.tooMany) throw bodyError('entity.too.many', `JSON holds more than ${JSON_MAX_VALUES} values`);
  if (found.hasNul) throw bodyError('entity.nul.byte', 'JSON string holds a NUL character');
}

/** True when a request target carries a NUL byte, raw or percent-encoded, in its path or query. */
export function urlHasNul(url: string): boolean {
  return url.includes('\u0000') || /%00/i.test(url);
}
