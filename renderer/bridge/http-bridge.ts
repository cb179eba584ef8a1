// The Bridge over the local server of browser mode (`colm serve`): JSON requests, SSE streams
// for loads and chats, and XMLHttpRequest for uploads, the one browser API that reports upload
// progress.
import { readSseEvents } from './sse-reader.js';
import {
  BridgeError,
  type ApiErrorBody,
  type AppState,
  type Bridge,
  type ChatEvent,
  type ChatHandlers,
  type ChatRequestBody,
  type Conversation,
  type ConversationSummary,
  type ExportFormat,
  type ExportOutcome,
  type GenerationSummary,
  type LibraryEntry,
  type LoadEvent,
  type LoadProgressInfo,
  type ModelInfo,
  type PolicyView,
  type RulesOutcome,
  type ServerEvent,
  type SessionOptions,
  type UploadFile,
} from './types.js';

async function failure(response: Response): Promise<BridgeError> {
  try {
    const body = (await response.json()) as ApiErrorBody;
    if (body?.error?.message) return new BridgeError(body.error);
  } catch {
    /* not JSON */
  }
  return new BridgeError({ name: 'HttpError', message: `${response.status} ${response.statusText}` });
}

/** The file name a download answer suggests (RFC 6266/5987), or `fallback`. */
export function downloadName(disposition: string | null, fallback: string): string {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]!.trim());
    } catch {
      /* fall through to the plain name */
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/** Session options as upload query parameters (only those that are set). */
function sessionQuery(options: SessionOptions | undefined): string {
  let query = '';
  if (options?.contextSize !== undefined) query += `&contextSize=${options.contextSize}`;
  if (options?.threads !== undefined) query += `&threads=${options.threads}`;
  if (options?.kvType !== undefined) query += `&kvType=${options.kvType}`;
  if (options?.device !== undefined) query += `&device=${encodeURIComponent(options.device)}`;
  return query;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class HttpBridge implements Bridge {
  constructor(private readonly base = '') {}

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(this.base + path, init);
    if (!response.ok) throw await failure(response);
    return (await response.json()) as T;
  }

  private post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(this.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  getState(): Promise<AppState> {
    return this.json('/api/state');
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    const source = new EventSource(this.base + '/api/events');
    source.onmessage = (message) => listener(JSON.parse(message.data as string) as ServerEvent);
    return () => source.close();
  }

  async loadModelFromPath(path: string, onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    const response = await this.post('/api/models/load', { path, options });
    return this.followLoad(response, onProgress);
  }

  async uploadModel(files: UploadFile[], onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    if (files.length === 0) throw new BridgeError({ name: 'BadRequest', message: 'no files to load' });
    const upload = randomId();
    const total = files.reduce((sum, f) => sum + f.file.size, 0) || 1;
    let sent = 0;
    for (let i = 0; i < files.length; i++) {
      const { file, path } = files[i]!;
      const last = i === files.length - 1;
      const query = `upload=${upload}&path=${encodeURIComponent(path)}${last ? `&last=1${sessionQuery(options)}` : ''}`;
      const before = sent;
      const response = await this.sendFile(`/api/models/upload?${query}`, file, (loaded) =>
        onProgress({ stage: 'uploading', fraction: Math.min(1, (before + loaded) / total) }),
      );
      sent += file.size;
      if (last) return this.followLoad(response, onProgress);
      if (!response.ok) throw await failure(response);
    }
    throw new Error('unreachable');
  }

  /** POSTs raw bytes with upload progress; the reply comes back as a fetch-like Response. */
  private sendFile(path: string, file: Blob, onSent: (bytes: number) => void): Promise<Response> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.base + path);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.responseType = 'text';
      xhr.upload.onprogress = (e) => onSent(e.loaded);
      xhr.onload = () => resolve(new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' } }));
      xhr.onerror = () => reject(new BridgeError({ name: 'NetworkError', message: 'the upload failed: is colm serve still running?' }));
      xhr.send(file);
    });
  }

  private async followLoad(response: Response, onProgress: (progress: LoadProgressInfo) => void): Promise<ModelInfo> {
    if (!response.ok || !response.body) throw await failure(response);
    for await (const event of readSseEvents<LoadEvent>(response.body)) {
      if (event.type === 'progress') onProgress(event.progress);
      else if (event.type === 'loaded') return event.model;
      else throw new BridgeError(event.error);
    }
    throw new BridgeError({ name: 'NetworkError', message: 'the server ended the load without an answer' });
  }

  async chat(request: ChatRequestBody, handlers: ChatHandlers, signal?: AbortSignal): Promise<GenerationSummary> {
    const response = await this.post('/api/chat', request, signal);
    if (!response.ok || !response.body) throw await failure(response);
    for await (const event of readSseEvents<ChatEvent>(response.body)) {
      switch (event.type) {
        case 'start':
          handlers.onStart(event.requestId);
          break;
        case 'tokens':
          handlers.onTokens(event.batch);
          break;
        case 'done':
          return event.summary;
        case 'error':
          throw new BridgeError(event.error);
      }
    }
    throw new BridgeError({ name: 'NetworkError', message: 'the connection closed before the reply ended' });
  }

  async stopChat(requestId: string): Promise<void> {
    const response = await this.post('/api/chat/stop', { requestId });
    if (!response.ok) throw await failure(response);
  }

  listConversations(): Promise<ConversationSummary[]> {
    return this.json('/api/conversations');
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const response = await fetch(`${this.base}/api/conversations/${encodeURIComponent(id)}`);
    if (response.status === 404) return null;
    if (!response.ok) throw await failure(response);
    return (await response.json()) as Conversation;
  }

  async saveConversation(conversation: Conversation): Promise<void> {
    await this.json(`/api/conversations/${encodeURIComponent(conversation.id)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(conversation),
    });
  }

  async deleteConversation(id: string): Promise<void> {
    const response = await fetch(`${this.base}/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!response.ok && response.status !== 404) throw await failure(response);
  }

  async exportConversation(id: string, format: ExportFormat): Promise<ExportOutcome> {
    const response = await fetch(`${this.base}/api/conversations/${encodeURIComponent(id)}/export?format=${format}`);
    if (!response.ok) throw await failure(response);
    const name = downloadName(response.headers.get('content-disposition'), format === 'json' ? 'conversation.json' : 'conversation.md');
    // The browser saves it as a download: the page cannot choose where files go, and should not.
    const url = URL.createObjectURL(await response.blob());
    try {
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    } finally {
      setTimeout(() => URL.revokeObjectURL(url), 10_000); // after the download has read it
    }
    return { saved: true, where: name };
  }

  async importConversation(data: unknown): Promise<Conversation> {
    const response = await this.post('/api/conversations/import', data);
    if (!response.ok) throw await failure(response);
    return (await response.json()) as Conversation;
  }

  listLibrary(): Promise<LibraryEntry[]> {
    return this.json('/api/models/library');
  }

  async removeFromLibrary(id: string): Promise<void> {
    const response = await fetch(`${this.base}/api/models/library/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!response.ok && response.status !== 404) throw await failure(response);
  }

  async setChainAuto(auto: boolean): Promise<PolicyView | null> {
    const response = await this.post('/api/policy/auto', { auto });
    if (!response.ok) throw await failure(response);
    return (await response.json()) as PolicyView | null;
  }

  async setManualChains(chains: number): Promise<PolicyView | null> {
    const response = await this.post('/api/policy/manual', { chains });
    if (!response.ok) throw await failure(response);
    return (await response.json()) as PolicyView | null;
  }

  async setPolicyRules(rules: unknown): Promise<RulesOutcome> {
    const response = await this.post('/api/policy/rules', { rules });
    if (!response.ok) throw await failure(response);
    return (await response.json()) as RulesOutcome;
  }
}
