// @vitest-environment happy-dom
// The window's components with a fake bridge: keyboard sending, the chain slider, the chain
// strip, the error panel, Esc to stop, and load by the Open input.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { BridgeError } from '../../../renderer/bridge/types.js';
import { App } from '../../../renderer/components/App.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { batch, FakeBridge, fakeModel, memoryStorage, summary, tick } from './fake-bridge.js';

let bridge: FakeBridge;
let stores: AppStores;

async function renderApp(withModel = true) {
  bridge = new FakeBridge();
  if (withModel) bridge.state.model = fakeModel(4);
  stores = createAppStores(bridge, memoryStorage());
  render(
    <StoresProvider stores={stores}>
      <App />
    </StoresProvider>,
  );
  await act(async () => {
    await stores.start();
  });
}

afterEach(cleanup);

test('Enter sends, Shift+Enter does not; the reply streams with one strip segment per token', async () => {
  await renderApp();
  const box = screen.getByLabelText('Message') as HTMLTextAreaElement;
  fireEvent.change(box, { target: { value: 'first line' } });
  fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
  expect(bridge.chats).toHaveLength(0);

  fireEvent.keyDown(box, { key: 'Enter' });
  await act(tick);
  expect(bridge.chats).toHaveLength(1);
  expect(box.value).toBe('');
  expect(screen.getByLabelText('Stop generating')).toBeTruthy();

  await act(async () => {
    bridge.chats[0]!.handlers.onTokens(batch('Hello', 4));
    bridge.chats[0]!.handlers.onTokens(batch(' **world**', 2, 3));
  });
  const reply = screen.getByRole('article', { name: 'Assistant message' });
  expect(within(reply).getByText('world').tagName).toBe('STRONG');
  const segments = reply.querySelectorAll('.chain-seg');
  expect(Array.from(segments, (s) => s.getAttribute('data-chains'))).toEqual(['4', '2', '2', '2']);
  expect(screen.getByLabelText('Tokens per second').textContent).toBe('120 tok/s');
  expect(screen.getByLabelText('Active chains').textContent).toBe('2/4 chains (auto)');

  await act(async () => bridge.chats[0]!.finish(summary('stop', 4)));
  expect(screen.getByLabelText('Reply statistics').textContent).toMatch(/4 tokens/);
  expect(screen.getByLabelText('Send')).toBeTruthy();
});

test('the chain slider sets the chain count of the next request, and the table marks it', async () => {
  await renderApp();
  fireEvent.click(screen.getByLabelText('Auto chain count'));
  const slider = screen.getByLabelText('Chain count') as HTMLInputElement;
  expect(slider.disabled).toBe(false);
  expect(slider.max).toBe('4');
  fireEvent.change(slider, { target: { value: '2' } });
  expect(screen.getByLabelText('Selected chain count').textContent).toBe('2 of 4');
  const selected = screen.getByRole('table', { name: 'Sub-models' }).querySelector('tr.selected')!;
  expect(selected.textContent).toMatch(/^2\s*32/);

  fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'hi' } });
  fireEvent.click(screen.getByLabelText('Send'));
  await act(tick);
  expect(bridge.chats[0]!.request.settings.chains).toBe(2);
  fireEvent.change(screen.getByLabelText('Temperature'), { target: { value: '0' } });
  fireEvent.change(screen.getByLabelText('Seed'), { target: { value: '7' } });
  expect(stores.settings.getState().generation).toMatchObject({ temperature: 0, seed: 7, chains: 2 });
  await act(async () => bridge.chats[0]!.finish());
});

test('Esc stops a streaming reply', async () => {
  await renderApp();
  fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'go' } });
  fireEvent.click(screen.getByLabelText('Send'));
  await act(tick);
  await act(async () => {
    fireEvent.keyDown(window, { key: 'Escape' });
    await tick();
  });
  expect(bridge.stopped).toEqual(['req-1']);
  expect(screen.queryByLabelText('Stop generating')).toBeNull();
});

test('a bad file picked with Open shows the error panel with the loader message', async () => {
  await renderApp(false);
  expect(screen.getByText('No model loaded')).toBeTruthy();
  bridge.nextLoad = new BridgeError({ name: 'CheckpointError', message: 'junk.safetensors: the header is not valid JSON' });
  const input = screen.getByLabelText('Checkpoint file') as HTMLInputElement;
  const file = new File(['junk'], 'junk.safetensors');
  await act(async () => {
    fireEvent.change(input, { target: { files: [file] } });
    await tick();
  });
  const panel = screen.getByRole('alert', { name: 'Model load error' });
  expect(panel.textContent).toContain('Could not load junk.safetensors');
  expect(panel.textContent).toContain('junk.safetensors: the header is not valid JSON');
  expect(bridge.uploads[0]![0]!.path).toBe('junk.safetensors');

  bridge.nextLoad = fakeModel(3, 'good.safetensors');
  await act(async () => {
    fireEvent.change(input, { target: { files: [new File(['ok'], 'good.safetensors')] } });
    await tick();
  });
  expect(screen.queryByRole('alert', { name: 'Model load error' })).toBeNull();
  expect(screen.getByLabelText('Loaded model').textContent).toContain('good.safetensors');
  expect((screen.getByLabelText('Chain count') as HTMLInputElement).max).toBe('3');
});

test('edit a user message and regenerate a reply from the message actions', async () => {
  await renderApp();
  bridge.autoReply = { batches: [batch('one', 4)], summary: summary() };
  fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'question' } });
  await act(async () => {
    fireEvent.click(screen.getByLabelText('Send'));
    await tick();
  });
  bridge.autoReply = { batches: [batch('two', 1)], summary: summary() };
  await act(async () => {
    fireEvent.click(screen.getByLabelText('Regenerate reply'));
    await tick();
  });
  expect(screen.getByRole('article', { name: 'Assistant message' }).textContent).toContain('two');

  fireEvent.click(screen.getByLabelText('Edit message'));
  fireEvent.change(screen.getByLabelText('Edit message', { selector: 'textarea' }), { target: { value: 'better question' } });
  bridge.autoReply = { batches: [batch('three', 3)], summary: summary() };
  await act(async () => {
    fireEvent.click(screen.getByLabelText('Save and send'));
    await tick();
  });
  expect(screen.getByRole('article', { name: 'Your message' }).textContent).toContain('better question');
  expect(screen.getAllByRole('article')).toHaveLength(2);
  expect(bridge.chats.at(-1)!.request.messages).toEqual([{ role: 'user', content: 'better question' }]);
  expect(screen.getByRole('navigation', { name: 'Conversations' }).textContent).toContain('better question');
});
