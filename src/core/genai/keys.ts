// Every attribute, event and scope name the GenAI normalizer reads, in one place. Each group names the
// convention (and generation) it comes from, so a reader can check a key against its source:
// - OpenTelemetry GenAI semantic conventions (open-telemetry/semantic-conventions-genai, model/gen-ai/
//   registry.yaml and events.yaml; deprecated names from semantic-conventions model/gen-ai/deprecated/),
// - OpenLLMetry / Traceloop (traceloop/openllmetry-js packages/ai-semantic-conventions),
// - OpenInference (Arize-ai/openinference js/packages/openinference-semantic-conventions).

/** OpenTelemetry GenAI semantic conventions, current and deprecated attribute names. */
export const GenAi = {
  providerName: 'gen_ai.provider.name',
  /** Deprecated in favour of gen_ai.provider.name; still what most instrumentations send. */
  system: 'gen_ai.system',
  operationName: 'gen_ai.operation.name',
  requestModel: 'gen_ai.request.model',
  requestPrefix: 'gen_ai.request.',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  conversationId: 'gen_ai.conversation.id',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  toolDefinitions: 'gen_ai.tool.definitions',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  agentName: 'gen_ai.agent.name',
  /**
   * Deprecated (pre-events) whole-conversation JSON attributes; also the attributes of the legacy content
   * events.
   */
  prompt: 'gen_ai.prompt',
  completion: 'gen_ai.completion',
  /** Azure AI Inference / Semantic Kernel put an event's JSON payload in this span-event attribute. */
  eventContent: 'gen_ai.event.content',
} as const;

/**
 * Token usage, newest name first within each list; the first one present wins. As in the conventions,
 * cached and cache-creation tokens are normally inside the input count and reasoning inside the output
 * count (core/pricing.ts says how a count that leaves them out is told apart).
 */
export const UsageKeys = {
  input: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.token_count.prompt',
    'llm.usage.prompt_tokens',
  ],
  output: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.token_count.completion',
    'llm.usage.completion_tokens',
  ],
  total: ['llm.usage.total_tokens', 'gen_ai.usage.total_tokens', 'llm.token_count.total'],
  cachedInput: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens', // OpenLLMetry, deprecated semconv spelling
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.cached_tokens',
    'llm.token_count.prompt_details.cache_read',
  ],
  /** Input written to the prompt cache (Anthropic's cache_creation_input_tokens). */
  cacheCreationInput: [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens', // OpenLLMetry, deprecated semconv spelling
    'llm.token_count.prompt_details.cache_write', // OpenInference
  ],
  reasoning: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens', // OpenLLMetry
    'gen_ai.usage.output_tokens.reasoning',
    'llm.token_count.completion_details.reasoning',
  ],
} as const;

/** Values of gen_ai.operation.name, grouped by what the span is. */
export const Operations = {
  llm: ['chat', 'text_completion', 'generate_content', 'completion', 'responses'],
  embedding: ['embeddings', 'embedding'],
  tool: ['execute_tool'],
  agent: ['invoke_agent', 'create_agent', 'invoke_workflow'],
} as const;

/** Event names of the events generation (span events or log records with event.name). */
export const GenAiEvents = {
  systemMessage: 'gen_ai.system.message',
  userMessage: 'gen_ai.user.message',
  assistantMessage: 'gen_ai.assistant.message',
  toolMessage: 'gen_ai.tool.message',
  choice: 'gen_ai.choice',
  /** Current: one event carrying gen_ai.input.messages / output.messages / system_instructions. */
  operationDetails: 'gen_ai.client.inference.operation.details',
  operationException: 'gen_ai.client.operation.exception',
  /** Oldest generation: span events carrying gen_ai.prompt / gen_ai.completion JSON. */
  contentPrompt: 'gen_ai.content.prompt',
  contentCompletion: 'gen_ai.content.completion',
  /** An evaluator's verdict on a call: an event or log record on the evaluated span, or by response id. */
  evaluationResult: 'gen_ai.evaluation.result',
} as const;

/** The attributes of a `gen_ai.evaluation.result` event (semantic-conventions-genai, events.yaml). */
export const Evaluation = {
  name: 'gen_ai.evaluation.name',
  scoreValue: 'gen_ai.evaluation.score.value',
  scoreLabel: 'gen_ai.evaluation.score.label',
  explanation: 'gen_ai.evaluation.explanation',
  /** Names the evaluated call when the event could not be parented to its span. */
  responseId: 'gen_ai.response.id',
} as const;

/** OpenLLMetry / Traceloop. */
export const Traceloop = {
  requestType: 'llm.request.type',
  isStreaming: 'llm.is_streaming',
  spanKind: 'traceloop.span.kind',
  associationPrefix: 'traceloop.association.properties.',
  /** Flattened messages: gen_ai.prompt.N.role / .content / .tool_calls.M.name ... */
  promptPrefix: 'gen_ai.prompt.',
  completionPrefix: 'gen_ai.completion.',
  functionsPrefix: 'llm.request.functions.',
  /** Request parameters OpenLLMetry writes outside gen_ai.request.*. */
  parameters: {
    'llm.top_k': 'top_k',
    'llm.frequency_penalty': 'frequency_penalty',
    'llm.presence_penalty': 'presence_penalty',
    'llm.chat.stop_sequences': 'stop_sequences',
  } as Readonly<Record<string, string>>,
} as const;

/** OpenInference. */
export const OpenInference = {
  spanKind: 'openinference.span.kind',
  modelName: 'llm.model_name',
  requestModelName: 'llm.request.model_name',
  responseModelName: 'llm.response.model_name',
  provider: 'llm.provider',
  system: 'llm.system',
  invocationParameters: 'llm.invocation_parameters',
  finishReason: 'llm.finish_reason',
  inputMessagesPrefix: 'llm.input_messages.',
  outputMessagesPrefix: 'llm.output_messages.',
  toolsPrefix: 'llm.tools.',
  inputValue: 'input.value',
  inputMimeType: 'input.mime_type',
  outputValue: 'output.value',
  outputMimeType: 'output.mime_type',
  sessionId: 'session.id',
  userId: 'user.id',
} as const;

/** Session and user id attributes, in priority order (user-configured names come before these). */
export const SessionKeys = [
  GenAi.conversationId,
  OpenInference.sessionId,
  `${Traceloop.associationPrefix}session_id`,
  `${Traceloop.associationPrefix}sessionId`,
  `${Traceloop.associationPrefix}conversation_id`,
  `${Traceloop.associationPrefix}conversationId`,
  `${Traceloop.associationPrefix}thread_id`,
  'langfuse.session.id',
] as const;

export const UserKeys = [
  'enduser.id',
  OpenInference.userId,
  `${Traceloop.associationPrefix}user_id`,
  `${Traceloop.associationPrefix}userId`,
  'langfuse.user.id',
  'enduser.pseudo.id',
] as const;

export const Errors = {
  errorType: 'error.type',
  exceptionEvent: 'exception',
  exceptionType: 'exception.type',
  exceptionMessage: 'exception.message',
  /** HTTP status of a failed request span, newest name first: the error type when nothing else names one. */
  httpStatusCode: ['http.response.status_code', 'http.status_code'],
} as const;

export const Resource = {
  serviceName: 'service.name',
} as const;

/**
 * Instrumentation scopes that send message content as log records, not span attributes: when a span of
 * theirs arrives without correlated logs, the logs pipeline is what is missing, not the capture switch.
 */
export const LogEmittingScopePrefixes = [
  '@opentelemetry/instrumentation-openai',
  '@elastic/opentelemetry-instrumentation-openai',
  'opentelemetry.instrumentation.openai', // Python openai-v2 (OpenLLMetry spans are told apart by their own markers)
  'opentelemetry.instrumentation.vertexai',
  'opentelemetry.instrumentation.google_genai',
] as const;
