import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One scripted answer of the chat route. */
export interface ScriptedReply {
  /** The assistant's text. */
  content?: string;
  /** Answer with this HTTP status and an error body instead. */
  status?: number;
  /** Wait this long before answering (a slow model). */
  delayMs?: number;
}

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
}

/**
 * A local LLM server for tests: OpenAI's `/v1/chat/completions`, Anthropic's `/v1/messages` and
 * Ollama's `/api/chat` answer from one script (in order, one reply per call) and record every
 * request; `/v1/embeddings` answers with the vectors `embed` computes, and records its inputs. The real LangChain
 * clients talk to it over HTTP.
 */
export class FakeOpenAi {
  readonly requests: ChatRequest[] = [];
  /** The inputs of every `/v1/embeddings` call, one entry per call. */
  readonly embeddingRequests: string[][] = [];
  /** Milliseconds each chat call took here, from its first byte read to its answer written. */
  readonly chatMs: number[] = [];
  private script: ScriptedReply[] = [];
  /** What a chat call answers once the script is used up (by default, a 500). */
  fallback?: ScriptedReply;
  private server?: Server;
  /** The OpenAI-compatible base URL (`.../v1`). */
  baseUrl = '';
  /** The server's root, for the Anthropic (`/v1/messages`) and Ollama (`/api/chat`) routes. */
  rootUrl = '';

  constructor(private readonly embed: (text: string) => number[] = () => [1, 0, 0]) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.rootUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.baseUrl = `${this.rootUrl}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Replaces what the next chat calls answer. */
  reply(...replies: Array<ScriptedReply | string>): void {
    this.script = replies.map((r) => (typeof r === 'string' ? { content: r } : r));
    this.requests.length = 0;
  }

  /** Scripted replies not yet used. */
  get pending(): number {
    return this.script.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    res.once('finish', () => {
      if (!req.url?.endsWith('/embeddings')) this.chatMs.push(performance.now() - started);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.url?.endsWith('/embeddings')) {
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      this.embeddingRequests.push(inputs);
      json(200, {
        object: 'list',
        model: body.model,
        // The OpenAI client asks for base64 (little-endian float32) unless told otherwise.
        data: inputs.map((text, index) => {
          const vector = this.embed(text);
          const embedding =
            body.encoding_format === 'base64'
              ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
              : vector;
          return { object: 'embedding', index, embedding };
        }),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
      return;
    }
    const route = req.url?.endsWith('/chat/completions')
      ? 'openai'
      : req.url?.endsWith('/v1/messages')
        ? 'anthropic'
        : req.url?.endsWith('/api/chat')
          ? 'ollama'
          : null;
    if (!route) return json(404, { error: { message: 'not found' } });
    this.requests.push({ model: body.model, messages: body.messages });
    const next = this.script.shift() ?? this.fallback;
    if (!next) return json(500, { error: { message: 'the test scripted no more replies' } });
    // Unref'd: a slow reply still pending must not keep the test process alive.
    if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs).unref());
    if (res.destroyed) return;
    if (next.status) return json(next.status, { error: { message: `scripted ${next.status}`, type: 'scripted' } });
    const prompt = JSON.stringify(body.messages).length;
    const content = next.content ?? '';
    if (route === 'anthropic') {
      return json(200, {
        id: `msg_${this.requests.length}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text: content }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: Math.ceil(prompt / 4), output_tokens: Math.ceil(content.length / 4) },
      });
    }
    if (route === 'ollama') {
      // Ollama streams newline-delimited JSON: the text, then a closing line with the counts.
      const at = new Date().toISOString();
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(
        `${JSON.stringify({ model: body.model, created_at: at, message: { role: 'assistant', content }, done: false })}\n`,
      );
      res.end(
        `${JSON.stringify({
          model: body.model,
          created_at: at,
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: 'stop',
          prompt_eval_count: Math.ceil(prompt / 4),
          eval_count: Math.ceil(content.length / 4),
        })}\n`,
      );
      return;
    }
    json(200, {
      id: `chatcmpl-${this.requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: next.content ?? '' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: Math.ceil(prompt / 4),
        completion_tokens: Math.ceil((next.content ?? '').length / 4),
        total_tokens: Math.ceil(prompt / 4) + Math.ceil((next.content ?? '').length / 4),
      },
    });
  }
}
