// The sample app: "Wayfarer", a small travel assistant. The same turns run under every
// instrumentation library (for the fixtures) and in the demo, so what each library emits can be
// compared call for call. Library-specific work (parent spans, session and user ids, tool spans)
// comes in through `hooks`, because each library has its own way of doing it.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ERROR_MARKER, weatherFor } from './mockOpenAI.mjs';

export const SCENARIOS = ['chat', 'tools', 'error', 'stream', 'unicode', 'large'];
/** Everything but `large`, which is captured once (gzip'd) to keep the fixtures small. */
export const CORE_SCENARIOS = SCENARIOS.filter((s) => s !== 'large');

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
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
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
