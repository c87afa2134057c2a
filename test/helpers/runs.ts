import { eventually } from './eventually';
import { HttpClient } from './http-client';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/** Polls a sync run until it has finished, and returns it; fails the test after `timeoutMs` (scaled). */
export async function waitForRun(
  http: HttpClient,
  token: string,
  connectorId: string,
  runId: string,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  return eventually(
    async () =>
      (await http.get<Record<string, any>>(`/api/v1/connectors/${connectorId}/runs/${runId}`, { token })).body,
    (run) => FINISHED.includes(run?.status),
    timeoutMs,
    { intervalMs: 100, what: `run ${runId} to finish` },
  );
}

const SETTLED = ['synced', 'failed', 'deleted', 'stopped'];

/** Polls a document until its one-document sync has settled, and returns it. */
export async function waitForDocument(
  http: HttpClient,
  token: string,
  connectorId: string,
  documentId: string,
  timeoutMs = 30_000,
): Promise<Record<string, any>> {
  return eventually(
    async () =>
      (await http.get<Record<string, any>>(`/api/v1/connectors/${connectorId}/documents/${documentId}`, { token }))
        .body,
    (doc) => SETTLED.includes(doc?.status),
    timeoutMs,
    { intervalMs: 100, what: `document ${documentId} to settle` },
  );
}
