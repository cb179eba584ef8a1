// @vitest-environment happy-dom
// The chain policy in the window: Auto hands the count to the policy (the slider shows its choice,
// the badge its reason), the slider pins a count, the status bar shows the policy's count between
// replies, the chart describes the history, and the rules editor saves in the policy's units and
// shows every problem it answers.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { App } from '../../../renderer/components/App.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, fakePolicyView, memoryStorage } from './fake-bridge.js';

let bridge: FakeBridge;
let stores: AppStores;

async function renderApp(policy = fakePolicyView()) {
  bridge = new FakeBridge();
  bridge.state.model = fakeModel(4);
  bridge.state.policy = policy;
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

const push = (patch: Parameters<typeof fakePolicyView>[0]) =>
  act(async () => {
    bridge.state.policy = fakePolicyView(patch);
    bridge.push({ type: 'state', state: structuredClone(bridge.state) });
  });

afterEach(cleanup);

test('Auto shows the policy\'s count and reason; a push moves both; the status bar follows', async () => {
  await renderApp(fakePolicyView({ chains: 2, reason: '2/4 chains: on battery, 28%' }));
  expect((screen.getByLabelText('Auto chain count') as HTMLInputElement).checked).toBe(true);
  expect(screen.getByLabelText('Selected chain count').textContent).toBe('Auto (2 of 4)');
  expect((screen.getByLabelText('Chain count') as HTMLInputElement).value).toBe('2');
  expect(screen.getByRole('status', { name: 'Chain policy reason' }).textContent).toBe('2/4 chains: on battery, 28%');
  expect(screen.getByLabelText('Active chains').textContent).toBe('2/4 chains (auto)');

  await push({ chains: 1, reason: '1/4 chains: thermal serious', simulated: { file: 'demo.json' } });
  expect(screen.getByRole('status', { name: 'Chain policy reason' }).textContent).toBe('1/4 chains: thermal serious · simulated (demo.json)');
  expect(screen.getByLabelText('Active chains').textContent).toBe('1/4 chains (auto)');
});

test('turning Auto off pins the count in use; the slider pins another; Auto on hands it back', async () => {
  await renderApp(fakePolicyView({ chains: 3, reason: '3/4 chains: on battery, 64%' }));
  fireEvent.click(screen.getByLabelText('Auto chain count'));
  await act(async () => undefined);
  expect(bridge.policyCalls.at(-1)).toEqual(['auto', false]);
  expect(stores.settings.getState().generation.chains).toBe(3);
  expect(screen.getByLabelText('Selected chain count').textContent).toBe('3 of 4');
  expect(screen.queryByRole('status', { name: 'Chain policy reason' })).toBeNull();

  fireEvent.change(screen.getByLabelText('Chain count'), { target: { value: '1' } });
  await act(async () => undefined);
  expect(bridge.policyCalls.at(-1)).toEqual(['manual', 1]);
  expect(stores.settings.getState().generation.chains).toBe(1);

  fireEvent.click(screen.getByLabelText('Auto chain count'));
  await act(async () => undefined);
  expect(bridge.policyCalls.at(-1)).toEqual(['auto', true]);
  expect(stores.settings.getState().generation.chains).toBe('auto');
});

test('the chart describes the history for screen readers', async () => {
  const history = [
    { t: 0, chains: 4, power: 'ac' as const, battery: 0.9, gpuOthers: 0.1, thermal: null },
    { t: 60_000, chains: 1, power: 'battery' as const, battery: 0.2, gpuOthers: 0.1, thermal: null },
  ];
  await renderApp(fakePolicyView({ history }));
  const chart = screen.getByRole('figure', { name: 'Chain policy history' });
  expect(within(chart).getByRole('img').getAttribute('aria-label')).toBe('Last 1 minute: chains 4 → 1 of 4; battery 90% → 20%; GPU use by others 10%; now on battery.');
  expect(chart.querySelectorAll('.chart-battery-band')).toHaveLength(1);
  expect(chart.querySelector('.chart-chains')!.getAttribute('d')).toMatch(/^M0,/);
});

test('the rules editor saves in the policy\'s units, shows every problem, and says when saved', async () => {
  await renderApp();
  fireEvent.change(screen.getByLabelText('Low battery below (%)'), { target: { value: '40' } });
  fireEvent.change(screen.getByLabelText('Seconds between automatic changes'), { target: { value: '2' } });
  fireEvent.click(screen.getByLabelText('One chain when the system runs hot'));
  bridge.nextRulesOutcome = { ok: false, errors: ['lowBattery: leaveAbove (0.35) must be at least enterBelow (0.4)'] };
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
  });
  const [, sent] = bridge.policyCalls.at(-1) as ['rules', { lowBattery: { enterBelow: number }; dwellMs: number; thermal: { enabled: boolean } }];
  expect(sent).toMatchObject({ lowBattery: { enterBelow: 0.4, leaveAbove: 0.35 }, dwellMs: 2000, thermal: { enabled: false } });
  expect(within(screen.getByRole('alert', { name: 'Rule problems' })).getByText(/leaveAbove \(0\.35\) must be at least enterBelow \(0\.4\)/)).toBeTruthy();

  fireEvent.change(screen.getByLabelText('Low battery ends above (%)'), { target: { value: '45' } });
  bridge.nextRulesOutcome = null; // accepted as sent
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
  });
  expect(screen.queryByRole('alert', { name: 'Rule problems' })).toBeNull();
  expect(screen.getByRole('status', { name: 'Rules saved' })).toBeTruthy();
  // A state push with the same rules does not throw away what is on screen.
  await push({ rules: stores.policy.getState().view!.rules });
  expect((screen.getByLabelText('Low battery ends above (%)') as HTMLInputElement).value).toBe('45');

  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Restore default rules' }));
  });
  expect(bridge.policyCalls.at(-1)).toEqual(['rules', {}]);
});

test('under the reason, the GPU the rules read; none when there is no GPU signal', async () => {
  await renderApp(fakePolicyView({ reason: '3/4 chains: GPU busy, others 82% on cuda:0', gpu: 'cuda:0 (NVIDIA RTX 4070): others 82%, 2.0 of 8.0 GiB free' }));
  expect(screen.getByRole('status', { name: 'Chain policy reason' }).textContent).toBe('3/4 chains: GPU busy, others 82% on cuda:0');
  expect(screen.getByLabelText('Chain policy GPU').textContent).toBe('cuda:0 (NVIDIA RTX 4070): others 82%, 2.0 of 8.0 GiB free');
  await push({ gpu: 'GPU 0 (NVIDIA RTX 4070): others 10% · the model runs on the CPU' });
  expect(screen.getByLabelText('Chain policy GPU').textContent).toBe('GPU 0 (NVIDIA RTX 4070): others 10% · the model runs on the CPU');
  await push({ gpu: null });
  expect(screen.queryByLabelText('Chain policy GPU')).toBeNull();
});
