// OpenLLMetry's older generation: @traceloop/node-server-sdk 0.22.8 with @traceloop/instrumentation-openai
// 0.22.5, the last release that wrote message content as flattened gen_ai.prompt.N.role/content and
// gen_ai.completion.N.* attributes (0.25 moved to gen_ai.input/output.messages). It needs openai < 6,
// hence this folder's own node_modules; the app code is the same as for the current SDK.
import { createRequire } from 'node:module';
import * as traceloop from '@traceloop/node-server-sdk';
import { traceloopSetup } from '../libraries/traceloop.mjs';

export const libraryPackage = '@traceloop/node-server-sdk';

export const setup = traceloopSetup(traceloop, createRequire(import.meta.url));
