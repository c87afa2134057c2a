const FENCE = /```[ \t]*([a-zA-Z0-9_-]*)[^\n]*\n([\s\S]*?)```/g;
const STATEMENT_START =
  /^\s*(select|with|values|explain|insert|update|delete|merge|replace|create|drop|alter|truncate|grant|revoke|call|copy|pragma|attach|set|show|describe|do)\b/i;

/** The SQL found in a JSON reply: `{"sql": "..."}` (or `query`), bare or fenced. */
function fromJson(text: string): string | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const parsed = JSON.parse(text.slice(start, end + 1)) as Record<string, unknown>;
    const sql = parsed.sql ?? parsed.query ?? parsed.SQL;
    return typeof sql === 'string' && sql.trim() ? sql.trim() : null;
  } catch {
    return null;
  }
}

/**
 * The SQL in an LLM's reply, however it was wrapped: a fenced block (```sql preferred, then any),
 * JSON with a `sql` field, or prose around a statement. Null when there is none. The whole block
 * is kept, a second statement included: the guard, not the extractor, decides what may run.
 */
export function extractSql(reply: string): string | null {
  const text = reply.trim();
  if (!text) return null;
  const fences = [...text.matchAll(FENCE)].map((m) => ({ lang: m[1].toLowerCase(), body: m[2].trim() }));
  const fenced = fences.find((f) => f.lang === 'sql' && f.body) ?? fences.find((f) => f.body && f.lang !== 'json');
  if (fenced) return fromJson(fenced.body) ?? fenced.body;
  const json = fences.find((f) => f.lang === 'json');
  if (json) return fromJson(json.body);
  const asJson = text.startsWith('{') ? fromJson(text) : null;
  if (asJson) return asJson;
  // Prose: from the first line that starts a statement to the end (or a blank line after a `;`).
  const lines = text.split('\n');
  const first = lines.findIndex((line) => STATEMENT_START.test(line));
  if (first < 0) return null;
  const taken: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.trim() && taken.join('\n').trim().endsWith(';')) break;
    taken.push(line);
  }
  const sql = taken.join('\n').trim();
  return sql || null;
}
