// Writes test/fixtures/README.md from what a capture actually did: the library versions from the
// manifest, and every prompt, answer, id and token count from the mock's own record of the exchanges.
// Generated rather than typed so the numbers the tests assert on cannot drift from the
// fixtures. The prose about each library describes what the pinned versions were seen to emit.
import {
  APOLOGY,
  FIXTURE_IDENTITIES,
  MODELS,
  MULTI_TURN_SCENARIOS,
  SCENARIOS,
  SESSION_TURNS,
  firstMessages,
} from './scenarios.mjs';
import { ERROR_MARKER } from './mockOpenAI.mjs';

const LIBRARY_NOTES = {
  'otel-openai': `Spans \`chat <model>\` (kind CLIENT) with \`gen_ai.system\`, \`gen_ai.operation.name\`, \`gen_ai.request.model\`,
\`gen_ai.request.temperature\` / \`max_tokens\`, \`gen_ai.response.id\` / \`model\` / \`finish_reasons\`,
\`gen_ai.usage.input_tokens\` / \`output_tokens\` (no cached or reasoning tokens), \`server.address\` / \`server.port\`
(the mock's random port), and on failure status ERROR with \`error.type\` (\`InternalServerError\`).
**Message content only in log records** (\`/v1/logs\`), one per message, correlated by trace and span id, named by the
\`event.name\` attribute (the LogRecord \`event_name\` field is not set): \`gen_ai.system.message\`, \`gen_ai.user.message\`,
\`gen_ai.assistant.message\` (with \`tool_calls\`), \`gen_ai.tool.message\` (\`id\` + \`content\`) and \`gen_ai.choice\`
(\`finish_reason\`, \`index\`, \`message\`), each with a kvlist body and \`gen_ai.system\`. Histograms
\`gen_ai.client.operation.duration\` (unit \`s\`) and \`gen_ai.client.token.usage\` (unit \`{token}\`, one data point per
\`gen_ai.token.type\` \`input\` / \`output\`) in \`/v1/metrics\`, scope \`@opentelemetry/instrumentation-openai\`, delta
temporality, one request per turn; the data points carry \`gen_ai.operation.name\`, \`gen_ai.system\`, \`gen_ai.request.model\`,
\`gen_ai.response.model\`, \`server.address\` / \`server.port\`, and on the HTTP 500 only a duration point with
\`error.type\` (no response model, no token usage). No cached or reasoning tokens here either.
The instrumentation sets no session or user: the app's parent span \`handle_turn\` carries \`gen_ai.conversation.id\` and
\`enduser.id\`, and the app writes its own \`execute_tool get_weather\` span (\`gen_ai.operation.name\` = \`execute_tool\`,
\`gen_ai.tool.name\`, \`gen_ai.tool.call.id\`, \`gen_ai.tool.call.arguments\` / \`result\`). Scope \`wayfarer-app\` for the app's spans.`,
  traceloop: `Spans \`chat <model>\` (kind CLIENT, scope \`@traceloop/instrumentation-openai\`) with \`gen_ai.provider.name\`,
\`gen_ai.operation.name\`, the structured **\`gen_ai.input.messages\` / \`gen_ai.output.messages\`** JSON strings (typed parts:
\`text\`, \`tool_call\`, \`tool_call_response\`), \`gen_ai.tool.definitions\`, \`gen_ai.response.finish_reasons\` (mapped:
\`tool_call\`, not \`tool_calls\`), \`gen_ai.usage.input_tokens\` / \`output_tokens\` / \`total_tokens\` (no cached or reasoning
tokens). Session and user as \`traceloop.association.properties.session_id\` / \`user_id\` on **every** span of the turn.
The turn is a workflow span \`handle_turn.workflow\` and the tool a \`get_weather.tool\` span (scope
\`@traceloop/node-server-sdk\`, \`traceloop.span.kind\`, \`traceloop.entity.name\` / \`input\` / \`output\`,
\`traceloop.workflow.name\`). The resource comes from the SDK's NodeSDK: host and process attributes plus \`service.name\`.
**On the HTTP 500 the library exports no LLM span at all** (0.27.0 never ends a span whose promise rejects); the
\`error\` fixture holds only the workflow span, which the app marked ERROR with an \`exception\` event. **For streams the
token counts are the SDK's own tiktoken estimate** (51 / 46 / 97 in \`stream\`), not the usage chunk the API sent.`,
  'traceloop-legacy': `The older OpenLLMetry generation (SDK 0.22.8 with \`@traceloop/instrumentation-openai\` 0.22.5, \`openai\` 5.23.2,
installed from \`sample/legacy/\`). Spans \`openai.chat\` (kind CLIENT) with \`gen_ai.system\` = \`OpenAI\`,
\`llm.request.type\` = \`chat\`, **flattened \`gen_ai.prompt.N.role\` / \`content\`** (an assistant message that only carried
tool calls becomes content \`"null"\`; a tool message loses its \`tool_call_id\`), \`llm.request.functions.N.name\` /
\`description\` / \`arguments\` for the offered tools, **\`gen_ai.completion.N.role\` / \`content\` / \`finish_reason\` /
\`tool_calls.M.name\` / \`arguments\`**, \`gen_ai.usage.prompt_tokens\` / \`completion_tokens\` and \`llm.usage.total_tokens\`,
\`gen_ai.response.model\` (no response id). Session, user, workflow and tool spans as in \`traceloop\`; no LLM span on
the HTTP 500 and tiktoken estimates for streams, as there.`,
  'azure-ai-inference': `Content as **span events**: \`@azure-rest/ai-inference\` (1.0.0-beta.6, traced through
\`@azure/opentelemetry-instrumentation-azure-sdk\` 1.0.0 with \`AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true\`,
installed from \`sample/legacy/\`). Spans \`chat <model>\` (kind CLIENT, scope \`@azure/ai-inference-rest\` **1.0.0-beta.4**,
the library's own stale version string) with \`gen_ai.system\` = \`az.ai.inference\`, \`gen_ai.operation.name\`,
\`gen_ai.request.*\`, \`gen_ai.response.id\` / \`model\`, \`gen_ai.response.finish_reasons\` as a **comma-joined string**, not an
array, \`gen_ai.usage.input_tokens\` / \`output_tokens\`, \`server.address\` / \`port\`, \`az.namespace\`; events
\`gen_ai.system.message\`, \`gen_ai.user.message\`, \`gen_ai.assistant.message\` (\`tool_calls\`), \`gen_ai.tool.message\`
(\`content\`, \`id\`) and \`gen_ai.choice\` (\`finish_reason\`, \`index\`, \`message\` whose tool calls are spelled **\`toolCalls\`**),
each with \`gen_ai.system\` and the JSON payload in \`gen_ai.event.content\`. A child \`HTTP POST\` span (scope
\`@azure/core-rest-pipeline\`) per request. On the HTTP 500: status ERROR with message \`[object Object]\`,
\`error.type\` = \`"undefined"\` and an \`exception\` event. Session and user as for \`otel-openai\` (app parent span).
No \`stream\` or \`large\` capture.`,
  openinference: `Spans \`OpenAI Chat Completions\` (kind INTERNAL) with \`openinference.span.kind\` = \`LLM\`, \`llm.system\`,
\`llm.model_name\` (the response's dated model; the request's model when streaming), \`llm.invocation_parameters\`,
flattened **\`llm.input_messages.N.message.role\` / \`content\` / \`tool_calls.M.tool_call.*\` / \`tool_call_id\`** and
\`llm.output_messages.N.message.*\`, \`llm.tools.N.tool.json_schema\`, \`input.value\` (the whole request JSON) and
\`output.value\` (the whole response JSON; the text when streaming), \`llm.finish_reason\`, \`llm.token_count.prompt\` /
\`completion\` / \`total\` / \`prompt_details.cache_read\` / \`completion_details.reasoning\` (none when streaming, even with
\`include_usage\`). Status OK is set explicitly. Session and user (\`session.id\`, \`user.id\`) are **only on the app's
\`handle_turn\` CHAIN span**: the LLM spans must inherit them from their trace. The tool is an app span \`get_weather\`
(\`openinference.span.kind\` = \`TOOL\`, \`tool.name\`, \`tool_call.id\`, \`input.value\`, \`output.value\`).
**On the HTTP 500 the library exports no LLM span** (4.2.7 ends the span only on a synchronous throw); the \`error\`
fixture holds only the CHAIN span, marked ERROR with an \`exception\` event.`,
};

const SESSION_NOTES = {
  'otel-openai': '`gen_ai.conversation.id` / `enduser.id` on the `handle_turn` parent span only',
  traceloop:
    '`withAssociationProperties({ session_id, user_id })` → `traceloop.association.properties.*` on every span',
  openinference: '`session.id` / `user.id` on the `handle_turn` CHAIN span only',
  'traceloop-legacy': 'as `traceloop`',
  'azure-ai-inference': 'as `otel-openai`',
};

function code(text) {
  return `\`${String(text).replace(/`/g, 'ˋ')}\``;
}

function oneLine(text, max = 400) {
  const t = String(text ?? '').replace(/\s*\n\s*/g, ' ⏎ ');
  return t.length > max ? `${t.slice(0, max)}… (${[...String(text)].length} characters in all)` : t;
}

function messageLine(m) {
  if (m.role === 'tool') return `- **tool** (${code(m.tool_call_id)}): ${code(oneLine(m.content))}`;
  if (m.tool_calls?.length)
    return `- **assistant** tool calls: ${m.tool_calls.map((c) => `${code(c.id)} ${code(`${c.function.name}(${c.function.arguments})`)}`).join(', ')}`;
  const text = typeof m.content === 'string' ? m.content : '';
  if (text.length > 600) {
    const lines = text.split('\n').length;
    return `- **${m.role}** (${[...text].length} characters, ${lines} lines): ${code(oneLine(text.split('\n')[0]))}, a blank line, then a CSV booking export (header ${code(text.split('\n')[2])}, rows like ${code(text.split('\n')[3])})`;
  }
  return `- **${m.role}**: ${code(text)}`;
}

function callRow(i, ex) {
  if (ex.status !== 200) {
    return `| ${i} | HTTP ${ex.status}: ${code(ex.response.error.message)} | | | | | | | |`;
  }
  const r = ex.response;
  const u = r.usage;
  const choice = r.choices[0];
  const out = choice.message.tool_calls?.length
    ? choice.message.tool_calls
        .map((c) => `${code(c.id)} ${code(`${c.function.name}(${c.function.arguments})`)}`)
        .join(', ')
    : code(oneLine(choice.message.content, 1000));
  return `| ${i} | ${code(choice.finish_reason)} | ${code(r.id)} / ${code(r.model)} | ${u.prompt_tokens} | ${u.completion_tokens} | ${u.total_tokens} | ${u.prompt_tokens_details.cached_tokens} | ${u.completion_tokens_details.reasoning_tokens} | ${out} |`;
}

export function renderFixturesReadme({ entries, turns }) {
  const libraries = [...new Map(entries.map((e) => [e.library, e])).values()];
  const out = [];
  out.push('# OTLP fixtures from real instrumentation libraries');
  out.push('');
  out.push(
    '<!-- Generated by sample/captureFixtures.mjs (sample/fixturesReadme.mjs); do not edit by hand. -->',
  );
  out.push('');
  out.push(
    "Each file is one OTLP/HTTP export request body, byte for byte as the library's exporter sent it (gzip bodies",
  );
  out.push(
    "still gzip'd). `manifest.json` describes every file: `library`, `libraryPackage`, `libraryVersion`, `scenario`,",
  );
  out.push(
    '`signal` (`traces` | `logs` | `metrics`), `path`, `encoding` (`protobuf` | `json`), `contentType` and',
  );
  out.push(
    '`contentEncoding` (`"gzip"` or `null`). Files are named `<library>/<scenario>.<signal>.<n>.<pb|json>[.gz]`; `n`',
  );
  out.push(
    'counts the requests of one scenario, signal and encoding. A multi-turn scenario (`sessions`) spans one trace',
  );
  out.push('per turn: its entries carry `turn` (1-based) and `n` counts on across its turns. Load them with');
  out.push(
    '`test/unit/helpers/fixtures.ts` (`fixtureEntries(filter)`, `fixtureBody(entry)`, `fixtureBatch(entry)`,',
  );
  out.push('`sessionsTurns(library, encoding)`).');
  out.push('');
  out.push('## How they were produced');
  out.push('');
  out.push(
    '`npm run fixtures` at the root (`cd sample && npm ci && node captureFixtures.mjs`). The capture starts',
  );
  out.push(
    '`sample/mockOpenAI.mjs` (a loopback stand-in for `POST /v1/chat/completions`) and a recording OTLP/HTTP server,',
  );
  out.push(
    'then runs `sample/runLibrary.mjs --library <library>` once per library and encoding, each in its own process,',
  );
  out.push(
    'with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at the recorder and `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.',
  );
  out.push(
    'The app (`sample/scenarios.mjs`, "Wayfarer", a travel assistant using the `openai` SDK) runs one user turn per',
  );
  out.push(
    'scenario and flushes every exporter after it, so each request belongs to exactly one turn (one trace).',
  );
  out.push(
    'The three current libraries run the scenarios `chat`, `tools`, `error`, `stream`, `unicode` in protobuf and in',
  );
  out.push(
    "JSON, and `large` once, protobuf and gzip'd (`compression: 'gzip'`), to keep the folder small; the two older",
  );
  out.push(
    'generations (`sample/legacy/`, its own lock) run the same turns without `large` (and `azure-ai-inference` without `stream`).',
  );
  out.push(
    'The current libraries also run `sessions`, eight turns of three sessions of two users, in both encodings',
  );
  out.push(
    '(see [below](#sessions)); only `otel-openai` records metrics (the OpenLLMetry SDK 0.27.0 and OpenInference 4.2.7',
  );
  out.push('create no instruments). Timestamps, trace and span ids,');
  out.push(
    "the mock's port (`server.port`), host and process attributes change with every capture; texts, response ids",
  );
  out.push('and token counts do not.');
  out.push('');
  out.push('| library | package | version | files | session and user |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const l of libraries) {
    const n = entries.filter((e) => e.library === l.library).length;
    out.push(
      `| ${code(l.library)} | ${code(l.libraryPackage)} | ${l.libraryVersion} | ${n} | ${SESSION_NOTES[l.library] ?? ''} |`,
    );
  }
  out.push('');
  out.push('## What each library emitted');
  out.push('');
  for (const l of libraries) {
    if (!LIBRARY_NOTES[l.library]) continue;
    out.push(`### ${code(l.library)} (${l.libraryPackage} ${l.libraryVersion})`);
    out.push('');
    out.push(LIBRARY_NOTES[l.library]);
    out.push('');
  }
  out.push("## The mock's rules");
  out.push('');
  out.push(
    '- The response `model` is the dated snapshot of the requested one (`gpt-4o-mini` → `gpt-4o-mini-2024-07-18`,',
  );
  out.push('  `gpt-4o` → `gpt-4o-2024-08-06`,');
  out.push(
    '  `o4-mini` → `o4-mini-2025-04-16`, `gpt-4.1-mini` → `gpt-4.1-mini-2025-04-14`); `system_fingerprint` `fp_mock7c1a2b`.',
  );
  out.push(
    '- Ids are hashes of the request: `chatcmpl-…` of model, messages and tools; `call_…` of model and messages.',
  );
  out.push(
    '- Tokens: one per started group of 4 characters (code points). `prompt_tokens` = 3 + per message (4 + content',
  );
  out.push(
    "  + JSON of its tool calls) + JSON of the offered tools; `cached_tokens` = the system prompt's tokens;",
  );
  out.push("  `completion_tokens` = the answer's (or the tool calls' JSON) tokens, plus, for `o*` models,");
  out.push(
    '  `reasoning_tokens` = 2 × that, which `completion_tokens` includes. `total_tokens` = prompt + completion.',
  );
  out.push(
    `- A message containing ${code(ERROR_MARKER)} gets HTTP 500 with an OpenAI \`server_error\` body. The SDK is set to`,
  );
  out.push('  `maxRetries: 0`, so there is exactly one attempt.');
  out.push(
    '- Tools offered and no tool result yet → `tool_calls` (finish `tool_calls`); `stream: true` → SSE chunks of a few',
  );
  out.push('  words, and a final usage chunk when `stream_options.include_usage`.');
  out.push('');
  out.push('## Scenarios');
  out.push('');
  out.push(
    'Columns: call, finish reason, response id / model, prompt, completion, total, cached, reasoning tokens, output.',
  );
  out.push('');
  for (const scenario of SCENARIOS) {
    if (MULTI_TURN_SCENARIOS.includes(scenario)) continue;
    const ids = FIXTURE_IDENTITIES[scenario];
    const exchanges = turns[scenario] ?? [];
    out.push(`### ${code(scenario)}`);
    out.push('');
    out.push(`Session ${code(ids.sessionId)}, user ${code(ids.userId)}, model ${code(MODELS[scenario])}.`);
    const first = exchanges[0]?.request;
    if (first) {
      const params = Object.entries(first)
        .filter(([k]) => !['messages', 'model', 'tools'].includes(k))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      if (first.tools) params.push(`tools=[${first.tools.map((t) => t.function.name).join(', ')}]`);
      out.push(`Request parameters: ${params.map(code).join(', ')}.`);
    }
    out.push('');
    out.push('Messages of the first call:');
    out.push('');
    for (const m of first?.messages ?? firstMessages(scenario)) out.push(messageLine(m));
    out.push('');
    for (const [i, ex] of exchanges.entries()) {
      if (i === 0) continue;
      const extra = ex.request.messages.slice(first.messages.length);
      out.push(`Call ${i + 1} sends the same messages plus:`);
      out.push('');
      for (const m of extra) out.push(messageLine(m));
      out.push('');
    }
    out.push('| call | finish | id / model | prompt | completion | total | cached | reasoning | output |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    exchanges.forEach((ex, i) => out.push(callRow(i + 1, ex)));
    out.push('');
    const failed = exchanges.some((ex) => ex.status !== 200);
    if (failed) out.push(`The app shows: ${code(APOLOGY)}`);
    out.push('');
  }
  renderSessions(out, turns);
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** The `sessions` scenario: which turn belongs to which session, and each turn's calls. */
function renderSessions(out, turns) {
  out.push('### `sessions`');
  out.push('');
  const sessions = [...new Set(SESSION_TURNS.map((t) => t.sessionId))];
  const users = [...new Set(SESSION_TURNS.map((t) => t.userId))];
  out.push(
    `${SESSION_TURNS.length} turns, one trace each, of ${sessions.length} sessions (${sessions.map(code).join(', ')}) ` +
      `of ${users.length} users (${users.map(code).join(', ')}), interleaved as below. Every call starts with the ` +
      "system prompt above and sends the session's earlier questions and answers before the new question; a failed " +
      'turn is left out of the history, and a tool exchange stays inside its turn. Each call also sends ' +
      '`user=<user id>`.',
  );
  out.push('');
  out.push('| turn | session | user | model | parameters | question |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  SESSION_TURNS.forEach((t, i) => {
    const params = Object.entries(t.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    if (t.tools) params.push('tools=[get_weather]');
    out.push(
      `| ${i + 1} | ${code(t.sessionId)} | ${code(t.userId)} | ${code(t.model)} | ${params.map(code).join(', ')} | ${code(t.prompt)} |`,
    );
  });
  out.push('');
  SESSION_TURNS.forEach((t, i) => {
    const exchanges = turns[`sessions#${i + 1}`] ?? [];
    const first = exchanges[0]?.request;
    out.push(
      `Turn ${i + 1} (${code(t.sessionId)}, ${first ? `${first.messages.length} messages` : 'not captured'}):`,
    );
    out.push('');
    for (const [k, ex] of exchanges.entries()) {
      if (k === 0) continue;
      out.push(`Call ${k + 1} sends the same messages plus:`);
      out.push('');
      for (const m of ex.request.messages.slice(first.messages.length)) out.push(messageLine(m));
      out.push('');
    }
    out.push('| call | finish | id / model | prompt | completion | total | cached | reasoning | output |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    exchanges.forEach((ex, k) => out.push(callRow(k + 1, ex)));
    out.push('');
    if (exchanges.some((ex) => ex.status !== 200)) out.push(`The app shows: ${code(APOLOGY)}`);
    out.push('');
  });
}
