// The engine host process: started by HostClient (child_process.fork under Node, utilityProcess
// under Electron), it runs the native engine away from the face (server, Electron main), so a
// crash in native code takes down only this process. Requests come in as HostRequest messages
// over the parent channel; every reply and stream goes out as a HostEvent.
import { BusyMeter } from './busy-meter.js';
import { deviceSummary } from './device-summary.js';
import { EngineService } from './engine-service.js';
import { parentChannel } from './parent-channel.js';
import type { ErrorInfo, HostEvent, HostRequest } from './protocol.js';

const parent = parentChannel();

function send(event: HostEvent): void {
  parent.send(event);
}

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function envNumber(name: string): number {
  const value = Number(process.env[name] ?? '0');
  return Number.isFinite(value) && value > 0 ? value : 0;
}

const busy = new BusyMeter();
const engine = new EngineService({
  // Slow motion for demos and UI tests with tiny models, which otherwise finish in milliseconds.
  tokenDelayMs: envNumber('COLM_HOST_TOKEN_DELAY_MS'),
  busy,
});

// The parent's chain policy polls every 2 s; reporting on the same beat keeps its subtraction fresh.
const LOAD_REPORT_MS = 2000;
setInterval(() => send({ type: 'load', load: busy.report() }), LOAD_REPORT_MS).unref();

async function handle(request: HostRequest): Promise<void> {
  switch (request.type) {
    case 'loadModel': {
      const info = await engine.load(request.path, {
        contextSize: request.contextSize,
        threads: request.threads,
        kvType: request.kvType,
        device: request.device,
        onProgress: (progress) => send({ type: 'loadProgress', id: request.id, progress }),
      });
      send({ type: 'result', id: request.id, value: info });
      return;
    }
    case 'unloadModel':
      await engine.unload();
      send({ type: 'result', id: request.id, value: null });
      return;
    case 'modelInfo':
      send({ type: 'result', id: request.id, value: engine.modelInfo });
      return;
    case 'stop':
      engine.stop(request.requestId);
      send({ type: 'result', id: request.id, value: null });
      return;
    case 'setAutoChains':
      engine.setAutoChains(request.chains);
      send({ type: 'result', id: request.id, value: null });
      return;
    case 'generate': {
      const { requestId } = request;
      // The request is accepted at once; the stream's own events carry the outcome.
      send({ type: 'result', id: request.id, value: null });
      try {
        const summary = await engine.generate(
          requestId,
          request.messages,
          request.settings,
          { onBatch: (batch) => send({ type: 'tokens', requestId, batch }) },
          request.text,
        );
        send({ type: 'done', requestId, summary });
      } catch (error) {
        send({ type: 'generateError', requestId, error: errorInfo(error) });
      }
      return;
    }
  }
}

parent.onRequest((message) => {
  handle(message).catch((error: unknown) => send({ type: 'error', id: message.id, error: errorInfo(error) }));
});

// Without a parent this process has no purpose: leave instead of holding the model mapped.
parent.onDisconnect(() => {
  engine.dispose();
  process.exit(0);
});

send({ type: 'ready', pid: process.pid, devices: deviceSummary() });
