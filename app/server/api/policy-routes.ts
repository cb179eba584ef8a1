// The chain policy from the UI: POST /api/policy/auto { auto } turns Auto on or off (off pins the
// count in use); POST /api/policy/manual { chains } pins a count; POST /api/policy/rules { rules }
// answers { ok: true, rules } or { ok: false, errors } for the editor to show. With
// `colm serve --simulate-power`, POST /api/policy/simulation/restart replays the script from its
// start (demos and end-to-end tests). Every change reaches the windows as a pushed state.
import { expectBoolean, expectChainCount } from '../../library/policy-inputs.js';
import { HttpError, readJson, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { asHttp, expectObject } from '../validate.js';
import type { ApiDeps } from './deps.js';

const parseAuto = asHttp(expectBoolean);
const parseChains = asHttp(expectChainCount);

export function policyRoutes({ controller }: ApiDeps): Route[] {
  const answerPolicy = (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, controller.state().policy);
  return [
    {
      method: 'POST',
      path: '/api/policy/auto',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        controller.setChainAuto(parseAuto(body.auto, 'auto'));
        answerPolicy(res);
      },
    },
    {
      method: 'POST',
      path: '/api/policy/manual',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        controller.setManualChains(parseChains(body.chains, 'chains', controller.host.currentModel?.chainCount ?? null));
        answerPolicy(res);
      },
    },
    {
      method: 'POST',
      path: '/api/policy/rules',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        if (!('rules' in body)) throw new HttpError(400, 'rules must be given: { "rules": { ... } }');
        sendJson(res, 200, controller.setPolicyRules(body.rules));
      },
    },
    {
      method: 'POST',
      path: '/api/policy/simulation/restart',
      handler: ({ res }) => {
        if (!controller.restartPowerSimulation()) throw new HttpError(404, 'no power simulation is running (colm serve --simulate-power FILE starts one)', 'NotFound');
        answerPolicy(res);
      },
    },
  ];
}
