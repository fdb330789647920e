// The sample app: "Wayfarer", a small travel assistant. The same turns run under every
// instrumentation library (for the fixtures) and in the demo, so what each library emits can be
// compared call for call. Library-specific work (parent spans, session and user ids, tool spans)
// comes in through `hooks`, because each library has its own way of doing it.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ERROR_MARKER, weatherFor } from './mockOpenAI.mjs';

export const SCENARIOS = ['chat', 'tools', 'error', 'stream', 'unicode', 'large', 'sessions'];
/** Scenarios of several turns (one trace each); the runner flushes after every turn. */
export const MULTI_TURN_SCENARIOS = ['sessions'];
/**
 * The single-turn scenarios but `large`, which is captured once (gzip'd) to keep the fixtures small;
 * `sessions` is its own run.
 */
export const CORE_SCENARIOS = SCENARIOS.filter((s) => s !== 'large' && !MULTI_TURN_SCENARIOS.includes(s));

export const SYSTEM_PROMPT =
  'You are Wayfarer, the travel assistant of the Wayfarer Trips app. Answer briefly and concretely, ' +
  'use the get_weather tool for forecasts, and never invent bookings.';

/** The session and user each scenario runs as in the fixtures (the demo picks its own). */
export const FIXTURE_IDENTITIES = {
  chat: { sessionId: 'sess-lisbon-weekend', userId: 'user-1042' },
  tools: { sessionId: 'sess-lisbon-weekend', userId: 'user-1042' },
  error: { sessionId: 'sess-porto-trip', userId: 'user-2077' },
  stream: { sessionId: 'sess-porto-trip', userId: 'user-2077' },
  unicode: { sessionId: 'sess-kyoto-autumn', userId: 'user-3318' },
  large: { sessionId: 'sess-porto-trip', userId: 'user-2077' },
};

export const PROMPTS = {
  chat: "We're flying to Lisbon for the weekend of 14 June. What should we not miss?",
  tools: 'Will it rain in Lisbon on Saturday (2025-06-14)? We want to spend the whole day outdoors.',
  error: `Please move my Porto train on 2025-05-02 to the 09:05 departure. ${ERROR_MARKER}`,
  stream: 'What should I pack for three days in Porto at the end of May?',
  unicode:
    'Wir sind im Oktober drei Tage in Kyoto (京都). Was sollten wir an einem Tag unbedingt sehen? 🙏🍁',
  large: 'Here is the booking export from our agency account (CSV). Can you summarise it for me?',
};

/**
 * The answer the assistant gave to `chat`, kept as the history of the Lisbon session: the app sends
 * the earlier turn along with the `tools` question, as a chat app does. It is the mock's answer.
 */
const LISBON_ANSWER =
  'Lisbon is easy to enjoy in a weekend: spend Saturday morning in Alfama and at the Castelo de São Jorge, ' +
  'take tram 28 to Estrela in the afternoon, and keep Sunday for Belém (the Jerónimos Monastery and pastéis de nata).';

export const MODELS = {
  chat: 'gpt-4o-mini',
  tools: 'gpt-4o-mini',
  error: 'gpt-4o-mini',
  stream: 'gpt-4o-mini',
  unicode: 'o4-mini',
  large: 'gpt-4.1-mini',
};

export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the weather forecast for a city on a given date.',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name, e.g. Lisbon' },
        date: { type: 'string', description: 'ISO date, e.g. 2025-06-14' },
      },
      required: ['city', 'date'],
      additionalProperties: false,
    },
  },
};

/** A deterministic PRNG (mulberry32) so the large export is byte-identical on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ~300 kB CSV export of bookings, the kind of paste that makes a prompt huge. */
export function bookingExport(targetChars = 300_000) {
  const rand = prng(20250614);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const cities = [
    'Lisbon',
    'Porto',
    'Kyoto',
    'Berlin',
    'Seville',
    'Vienna',
    'Prague',
    'Edinburgh',
    'Copenhagen',
    'Naples',
  ];
  const hotels = [
    'Casa do Rio',
    'Hotel Miradouro',
    'Ryokan Hanaya',
    'Spree Suites',
    'Patio Sevillano',
    'Ringhotel',
    'Old Town Loft',
    'Castle View Inn',
    'Nyhavn Rooms',
    'Vomero House',
  ];
  const statuses = ['confirmed', 'confirmed', 'confirmed', 'cancelled', 'pending'];
  const lines = ['booking_id,created,destination,hotel,check_in,nights,travellers,total_eur,status'];
  let size = lines[0].length + 1;
  for (let i = 1; size < targetChars; i++) {
    const month = 1 + Math.floor(rand() * 12);
    const day = 1 + Math.floor(rand() * 28);
    const nights = 1 + Math.floor(rand() * 6);
    const people = 1 + Math.floor(rand() * 4);
    const k = Math.floor(rand() * cities.length);
    const total = (nights * people * (45 + rand() * 160)).toFixed(2);
    const line = [
      `BK-${String(100000 + i)}`,
      `2025-${String(Math.max(1, month - 1)).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      cities[k],
      hotels[k],
      `2025-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      nights,
      people,
      total,
      pick(statuses),
    ].join(',');
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/**
 * `sessions`: three conversations of two users, interleaved as a live app serves them, one trace per
 * turn. Each later turn of a session sends the conversation so far (the questions and the answers the
 * user saw; a tool exchange stays inside its turn, and a failed turn is left out, as a chat app that
 * lets the user retry does). The mock answers each prompt by a phrase in it (mockOpenAI.mjs).
 */
export const SESSION_TURNS = [
  {
    sessionId: 'sess-lisbon-family',
    userId: 'user-1042',
    model: 'gpt-4o-mini',
    params: { temperature: 0.7, max_tokens: 400 },
    prompt:
      "We're visiting Lisbon with our two kids (7 and 10) from 11 to 13 July. What will they enjoy most?",
  },
  {
    sessionId: 'sess-porto-rail',
    userId: 'user-2077',
    model: 'gpt-4o',
    params: { temperature: 0.3 },
    prompt: 'What is the fastest train from Lisbon to Porto on a weekday morning?',
  },
  {
    sessionId: 'sess-kyoto-temples',
    userId: 'user-1042',
    model: 'o4-mini',
    params: { reasoning_effort: 'low', max_completion_tokens: 800 },
    prompt:
      'Plan a relaxed first day in Kyoto in mid-October for someone who loves temples but hates crowds.',
  },
  {
    sessionId: 'sess-lisbon-family',
    userId: 'user-1042',
    model: 'gpt-4o-mini',
    tools: true,
    params: { temperature: 0 },
    prompt: 'Will it be warm enough for a beach afternoon near Lisbon on 2025-07-12?',
  },
  {
    sessionId: 'sess-porto-rail',
    userId: 'user-2077',
    model: 'gpt-4o',
    params: { temperature: 0.3 },
    prompt: `Please hold two seats on the 09:00 Alfa Pendular to Porto on 2025-05-02. ${ERROR_MARKER}`,
  },
  {
    sessionId: 'sess-lisbon-family',
    userId: 'user-1042',
    model: 'gpt-4o-mini',
    params: { temperature: 0.7, max_tokens: 400 },
    prompt: "Great. How do we get from Lisbon to Cascais with the kids' stroller?",
  },
  {
    sessionId: 'sess-porto-rail',
    userId: 'user-2077',
    model: 'gpt-4o',
    params: { temperature: 0.3 },
    prompt: 'Trying again: is the 09:00 Alfa Pendular on 2025-05-02 usually fully booked?',
  },
  {
    sessionId: 'sess-kyoto-temples',
    userId: 'user-1042',
    model: 'o4-mini',
    params: { reasoning_effort: 'low', max_completion_tokens: 800 },
    prompt: 'Which of those temples need a ticket booked in advance?',
  },
];

/** The messages each scenario sends on its first call. */
export function firstMessages(scenario) {
  const system = { role: 'system', content: SYSTEM_PROMPT };
  switch (scenario) {
    case 'tools':
      return [
        system,
        { role: 'user', content: PROMPTS.chat },
        { role: 'assistant', content: LISBON_ANSWER },
        { role: 'user', content: PROMPTS.tools },
      ];
    case 'large':
      return [system, { role: 'user', content: `${PROMPTS.large}\n\n${bookingExport()}` }];
    default:
      return [system, { role: 'user', content: PROMPTS[scenario] }];
  }
}

const passThrough = {
  turn: (_meta, fn) => fn(),
  tool: (_call, fn) => fn(),
};

/**
 * Runs one user turn of `scenario` and returns `{ text, failed }`: the assistant's final text, or the
 * apology the app shows when the model API fails. `hooks.turn(meta, fn)` wraps the whole turn (the
 * library's parent span); the failure is caught inside it and recorded on the active span, as a real
 * handler would, so the parent span ends normally and carries the error. `meta.failed` tells the hook.
 * `hooks.tool(call, fn)` wraps each tool execution.
 */
export async function runScenario(scenario, { openai, hooks = passThrough, sessionId, userId }) {
  if (!SCENARIOS.includes(scenario) || MULTI_TURN_SCENARIOS.includes(scenario))
    throw new Error(`unknown single-turn scenario ${scenario}`);
  const ids = FIXTURE_IDENTITIES[scenario];
  const meta = {
    scenario,
    sessionId: sessionId ?? ids.sessionId,
    userId: userId ?? ids.userId,
    userText: PROMPTS[scenario],
    failed: false,
  };
  const model = MODELS[scenario];
  const messages = firstMessages(scenario);
  const text = await hooks.turn(meta, async () => {
    try {
      return await turn(openai, hooks, scenario, model, messages, meta);
    } catch (err) {
      meta.failed = true;
      const span = trace.getActiveSpan();
      span?.recordException(err);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: err?.message });
      return APOLOGY;
    }
  });
  return { text, failed: meta.failed };
}

/**
 * Runs the turns of `scenario` one by one, yielding `{ scenario, turn, sessionId, userId, text, failed }`
 * after each (`turn` is 1-based, and undefined for a single-turn scenario), so the caller can flush
 * between turns. `sessionId` / `userId` override the identities of a single-turn scenario only.
 */
export async function* runTurns(scenario, { openai, hooks = passThrough, sessionId, userId }) {
  if (scenario !== 'sessions') {
    const result = await runScenario(scenario, { openai, hooks, sessionId, userId });
    const ids = FIXTURE_IDENTITIES[scenario];
    yield {
      scenario,
      turn: undefined,
      sessionId: sessionId ?? ids.sessionId,
      userId: userId ?? ids.userId,
      ...result,
    };
    return;
  }
  // What each session's user has seen so far.
  const histories = new Map();
  for (const [i, spec] of SESSION_TURNS.entries()) {
    const history = histories.get(spec.sessionId) ?? [{ role: 'system', content: SYSTEM_PROMPT }];
    const meta = {
      scenario,
      sessionId: spec.sessionId,
      userId: spec.userId,
      userText: spec.prompt,
      failed: false,
    };
    const messages = [...history, { role: 'user', content: spec.prompt }];
    const text = await hooks.turn(meta, async () => {
      try {
        return await sessionTurn(openai, hooks, spec, messages);
      } catch (err) {
        meta.failed = true;
        const span = trace.getActiveSpan();
        span?.recordException(err);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: err?.message });
        return APOLOGY;
      }
    });
    if (!meta.failed) histories.set(spec.sessionId, [...messages, { role: 'assistant', content: text }]);
    yield {
      scenario,
      turn: i + 1,
      sessionId: spec.sessionId,
      userId: spec.userId,
      text,
      failed: meta.failed,
    };
  }
}

async function sessionTurn(openai, hooks, spec, messages) {
  const params = { model: spec.model, messages, user: spec.userId, ...spec.params };
  if (!spec.tools) {
    const res = await openai.chat.completions.create(params);
    return res.choices[0].message.content ?? '';
  }
  const first = await openai.chat.completions.create({
    ...params,
    tools: [WEATHER_TOOL],
    tool_choice: 'auto',
  });
  const assistant = first.choices[0].message;
  const followUp = [
    ...messages,
    { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls },
  ];
  for (const call of assistant.tool_calls ?? []) {
    const args = JSON.parse(call.function.arguments);
    const result = await hooks.tool({ name: call.function.name, callId: call.id, args }, async () =>
      weatherFor(args.city, args.date),
    );
    followUp.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
  }
  const second = await openai.chat.completions.create({
    ...params,
    messages: followUp,
    tools: [WEATHER_TOOL],
  });
  return second.choices[0].message.content ?? '';
}

async function turn(openai, hooks, scenario, model, messages, meta) {
  switch (scenario) {
    case 'chat':
    case 'error':
    case 'unicode':
    case 'large': {
      const params = { model, messages, user: meta.userId };
      if (scenario === 'chat') Object.assign(params, { temperature: 0.7, max_tokens: 400 });
      if (scenario === 'unicode')
        Object.assign(params, { reasoning_effort: 'low', max_completion_tokens: 800 });
      const res = await openai.chat.completions.create(params);
      return res.choices[0].message.content ?? '';
    }
    case 'stream': {
      const stream = await openai.chat.completions.create({
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.2,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    }
    case 'tools': {
      const first = await openai.chat.completions.create({
        model,
        messages,
        tools: [WEATHER_TOOL],
        tool_choice: 'auto',
        temperature: 0,
      });
      const assistant = first.choices[0].message;
      const followUp = [
        ...messages,
        { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls },
      ];
      for (const call of assistant.tool_calls ?? []) {
        const args = JSON.parse(call.function.arguments);
        const result = await hooks.tool({ name: call.function.name, callId: call.id, args }, async () =>
          weatherFor(args.city, args.date),
        );
        followUp.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
      }
      const second = await openai.chat.completions.create({
        model,
        messages: followUp,
        tools: [WEATHER_TOOL],
        temperature: 0,
      });
      return second.choices[0].message.content ?? '';
    }
  }
  throw new Error('unreachable');
}

/** The text the app shows when the model API fails. */
export const APOLOGY = 'Sorry, I could not reach the assistant just now. Please try again in a minute.';
