/**
 * Longest reply read for SQL, and longest SQL taken from it (the size the API accepts from a
 * caller). An honest reply is far shorter (LLM_MAX_TOKENS); a longer one is not looked into.
 */
export const MAX_REPLY_CHARS = 200_000;
export const MAX_SQL_CHARS = 100_000;

const FENCE_LANG = /^[ \t]*([a-zA-Z0-9_-]*)/;

/**
 * The fenced blocks of a reply, found with indexOf in one pass: a regular expression with a lazy
 * body backtracks quadratically on a reply full of unclosed fences.
 */
function fencedBlocks(text: string): Array<{ lang: string; body: string }> {
  const blocks: Array<{ lang: string; body: string }> = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf('```', at);
    if (open < 0) break;
    const lineEnd = text.indexOf('\n', open + 3);
    if (lineEnd < 0) break;
    const close = text.indexOf('```', lineEnd + 1);
    if (close < 0) break;
    const lang = FENCE_LANG.exec(text.slice(open + 3, lineEnd))![1];
    blocks.push({ lang: lang.toLowerCase(), body: text.slice(lineEnd + 1, close).trim() });
    at = close + 3;
  }
  return blocks;
}
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
 * Null as well for a reply over MAX_REPLY_CHARS or SQL over MAX_SQL_CHARS.
 */
export function extractSql(reply: string): string | null {
  if (reply.length > MAX_REPLY_CHARS) return null;
  const sql = findSql(reply.trim());
  return sql !== null && sql.length <= MAX_SQL_CHARS ? sql : null;
}

function findSql(text: string): string | null {
  if (!text) return null;
  const fences = fencedBlocks(text);
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
  let lastFilled = '';
  for (const line of lines.slice(first)) {
    if (!line.trim() && lastFilled.trimEnd().endsWith(';')) break;
    taken.push(line);
    if (line.trim()) lastFilled = line;
  }
  const sql = taken.join('\n').trim();
  return sql || null;
}
