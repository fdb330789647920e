// The app instrumented with OpenLLMetry (@traceloop/node-server-sdk). Session and user go in as
// association properties, the turn is a Traceloop workflow and the tool a Traceloop tool, which is how
// the SDK's own docs have apps do it. `traceloopSetup` is shared with the older SDK in ../legacy/.
import { createRequire } from 'node:module';
import * as traceloop from '@traceloop/node-server-sdk';
import { SERVICE_NAME } from '../telemetry.mjs';

export const libraryPackage = '@traceloop/node-server-sdk';

/**
 * @param sdk the `@traceloop/node-server-sdk` module to use
 * @param requireFromSdk a require that resolves `openai` next to that SDK
 */
export function traceloopSetup(sdk, requireFromSdk) {
  return async ({ exporters, openaiOptions }) => {
    const { OpenAI } = requireFromSdk('openai');
    sdk.initialize({
      appName: SERVICE_NAME,
      exporter: exporters.traces,
      // Offline: without this, initialize() tries to fetch prompts from Traceloop's cloud.
      traceloopSyncEnabled: false,
      // Patch the very class this app uses (CommonJS instance of `openai`).
      instrumentModules: { openAI: OpenAI },
      silenceInitializationMessage: true,
    });
    const openai = new OpenAI(openaiOptions);

    const hooks = {
      // The extra arguments are what the SDK records as traceloop.entity.input.
      turn: (meta, fn) =>
        sdk.withAssociationProperties({ session_id: meta.sessionId, user_id: meta.userId }, () =>
          sdk.withWorkflow({ name: 'handle_turn' }, (_userMessage) => fn(), meta.userText),
        ),
      tool: (call, fn) => sdk.withTool({ name: call.name }, (_args) => fn(), call.args),
    };

    return {
      openai,
      hooks,
      flush: () => sdk.forceFlush(),
      // The SDK exports no shutdown; everything is out once the flush has resolved.
      shutdown: () => sdk.forceFlush(),
    };
  };
}

export const setup = traceloopSetup(traceloop, createRequire(import.meta.url));
