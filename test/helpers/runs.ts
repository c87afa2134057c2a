import { HttpClient } from './http-client';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/** Polls a sync run until it has finished, and returns it; fails the test after `timeoutMs`. */
export async function waitForRun(
  http: HttpClient,
  token: string,
  connectorId: string,
  runId: string,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await http.get(`/api/v1/connectors/${connectorId}/runs/${runId}`, { token });
    if (FINISHED.includes(res.body.status)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
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
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await http.get(`/api/v1/connectors/${connectorId}/documents/${documentId}`, { token });
    if (SETTLED.includes(res.body.status)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`document ${documentId} did not settle within ${timeoutMs} ms`);
}
