// A loopback stand-in for the OpenAI Chat Completions API, so the real instrumentation libraries can be
// run offline and produce the telemetry they would produce against the real service. Everything it
// answers is derived from the request (ids from a hash, token counts from text length), so fixtures
// captured twice carry the same ids, texts and usage numbers and tests can assert on them.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

/** Put this in a user message to get the HTTP 500 an overloaded API answers. */
export const ERROR_MARKER = '[mock:http-500]';

/** Request model -> the dated snapshot the API reports back, as the real API does. */
const MODEL_SNAPSHOTS = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'o4-mini': 'o4-mini-2025-04-16',
};
const SYSTEM_FINGERPRINT = 'fp_mock7c1a2b';

/**
 * The mock's tokenizer: one token per started group of 4 characters (Unicode code points). Real
 * tokenizers differ, but a rule anyone can recompute is what the fixtures' README documents.
 */
export function countTokens(text) {
  if (typeof text !== 'string' || text.length === 0) return 0;
  return Math.ceil([...text].length / 4);
}

function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/**
 * Usage as the mock reports it. prompt = 3 per request + per message (4 + content + tool-call JSON)
 * + the JSON of the offered tools; cached = the system prompt's tokens (an unchanged prefix, as the
 * real prompt cache would keep it); reasoning models (o*) spend 2 hidden tokens per visible one.
 */
export function computeUsage(request, visibleCompletionText) {
  let prompt = 3;
  for (const m of request.messages ?? []) {
    prompt += 4 + countTokens(contentText(m.content));
    if (Array.isArray(m.tool_calls)) prompt += countTokens(JSON.stringify(m.tool_calls));
  }
  if (Array.isArray(request.tools) && request.tools.length > 0)
    prompt += countTokens(JSON.stringify(request.tools));
  const system = (request.messages ?? []).find((m) => m.role === 'system' || m.role === 'developer');
  const cached = system ? countTokens(contentText(system.content)) : 0;
  const visible = countTokens(visibleCompletionText);
  const reasoning = /^o\d/.test(request.model ?? '') ? 2 * visible : 0;
  const completion = visible + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function digest(value, length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = createHash('sha256').update(JSON.stringify(value)).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

const WEATHER = {
  lisbon: { summary: 'sunny', high_c: 24, low_c: 16, rain_chance: 0.05 },
  porto: { summary: 'light rain', high_c: 18, low_c: 12, rain_chance: 0.7 },
  kyoto: { summary: 'partly cloudy', high_c: 21, low_c: 13, rain_chance: 0.2 },
  berlin: { summary: 'overcast', high_c: 15, low_c: 8, rain_chance: 0.4 },
};

/** What the fake get_weather tool returns; the scenarios use it so the tool result matches the mock. */
export function weatherFor(city, date) {
  const w = WEATHER[String(city).toLowerCase()] ?? {
    summary: 'clear',
    high_c: 20,
    low_c: 11,
    rain_chance: 0.1,
  };
  return { city, date, ...w };
}

/**
 * Answers to the `sessions` scenario's turns (scenarios.mjs), by a phrase only that prompt has; first
 * match wins, so the stroller question is not taken for the first one about the kids.
 */
const SESSION_REPLIES = [
  [
    /stroller/i,
    'Take the Cascais line from Cais do Sodré: trains leave every 20 minutes and the coastal ride takes about ' +
      '40 minutes. The stations have lifts and level boarding, so the stroller is no problem; load a Navegante ' +
      'card with "zapping" credit for each of you.',
  ],
  [
    /\bkids\b/i,
    'With kids aged 7 and 10, plan the Oceanário in Parque das Nações for one morning, ride tram 28 and the ' +
      'Santa Justa lift for the views, and spend an afternoon in Belém at the Padrão dos Descobrimentos with ' +
      'ice cream by the river. The Pavilhão do Conhecimento science centre is a good backup for a hot afternoon.',
  ],
  [
    /fastest train/i,
    'The Alfa Pendular is the fastest: about 2 h 50 min from Lisboa Santa Apolónia or Oriente to Porto ' +
      'Campanhã. On weekdays the first one leaves around 06:00 and then roughly every hour; book on cp.pt, ' +
      'where seats bought a few weeks ahead are cheaper.',
  ],
  [
    /fully booked/i,
    'Friday morning Alfa Pendular trains often sell out in Conforto, but Turística usually has seats until a ' +
      'day or two before. I cannot book seats for you; cp.pt shows live availability, and booking now is the ' +
      'safe choice for two.',
  ],
  [
    /hates crowds/i,
    'Start at Kiyomizu-dera when it opens at 06:00, walk down Sannenzaka and Ninenzaka before the shops open, ' +
      'then take the bus to Nanzen-ji and stroll the Philosopher’s Path at midday. After a late lunch, rest, ' +
      'and end the day at Shōren-in, which stays quiet even during the autumn evening illumination.',
  ],
  [
    /ticket booked in advance/i,
    'None of them: Kiyomizu-dera, Nanzen-ji and Shōren-in sell tickets at the gate (400–600 yen each). Only ' +
      'the evening illumination at Shōren-in can have a short queue, so arrive before 18:00.',
  ],
];

/**
 * The canned assistant behaviour. Answers are keyed by phrases of the scenarios' prompts so the
 * conversation reads naturally; anything else gets a generic but still deterministic reply.
 */
function decide(request) {
  const messages = request.messages ?? [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const userText = contentText(lastUser?.content);
  const toolResults = messages.filter((m) => m.role === 'tool');
  const tools = Array.isArray(request.tools) ? request.tools : [];

  if (tools.length > 0 && toolResults.length === 0) {
    const weatherTool = tools.find((t) => t?.function?.name === 'get_weather') ?? tools[0];
    const city = /kyoto/i.test(userText)
      ? 'Kyoto'
      : /porto/i.test(userText)
        ? 'Porto'
        : /berlin/i.test(userText)
          ? 'Berlin'
          : 'Lisbon';
    const date = (userText.match(/\d{4}-\d{2}-\d{2}/) ?? ['2025-06-14'])[0];
    const args = JSON.stringify({ city, date });
    return {
      toolCalls: [
        {
          id: `call_${digest([request.model, messages, 'tool'], 24)}`,
          type: 'function',
          function: { name: weatherTool.function.name, arguments: args },
        },
      ],
      text: null,
      finish: 'tool_calls',
    };
  }
  if (toolResults.length > 0) {
    let data = {};
    try {
      data = JSON.parse(contentText(toolResults[toolResults.length - 1].content));
    } catch {
      // a non-JSON tool result still gets an answer
    }
    const rain = data.rain_chance ?? 0.1;
    const text =
      `${data.city ?? 'Your destination'} on ${data.date ?? 'that day'} looks ${data.summary ?? 'fine'}: highs around ${data.high_c ?? 20} °C, ` +
      `lows near ${data.low_c ?? 12} °C and a ${Math.round(rain * 100)}% chance of rain. ` +
      (rain >= 0.5
        ? 'Bring an umbrella and keep a museum or two in reserve.'
        : 'A good day to explore on foot: pack sunscreen and a light jacket for the evening.');
    return { text, finish: 'stop' };
  }
  const reply = SESSION_REPLIES.find(([phrase]) => phrase.test(userText));
  if (reply) return { text: reply[1], finish: 'stop' };
  if (/csv|export|bookings/i.test(userText) && userText.length > 10000) {
    const rows = userText.split('\n').filter((l) => /^BK-/.test(l)).length;
    return {
      text:
        `I went through all ${rows} bookings in the export. Most trips are short city breaks (2–4 nights), Lisbon and Porto are ` +
        'the most booked destinations, and the cancellations cluster around the spring holidays. Want me to list the cancelled ones?',
      finish: 'stop',
    };
  }
  if (/kyoto|京都/i.test(userText)) {
    return {
      text:
        'Gern! Für einen Herbsttag in Kyoto (京都): Morgens zum Fushimi Inari-Taisha (伏見稲荷大社), bevor die Gruppen kommen, ' +
        'mittags Yudōfu in Arashiyama (嵐山) und abends durch Gion (祇園) schlendern. 🍁⛩️🍵 Viel Spaß –楽しい旅を！',
      finish: 'stop',
    };
  }
  if (/pack|packing/i.test(userText)) {
    return {
      text:
        'For three days in Porto in late spring, pack: a light rain jacket, comfortable walking shoes for the hills, ' +
        'two layers for cool evenings by the Douro, a travel adapter (type F) and a reusable water bottle.',
      finish: 'stop',
    };
  }
  if (/lisbon/i.test(userText)) {
    return {
      text:
        'Lisbon is easy to enjoy in a weekend: spend Saturday morning in Alfama and at the Castelo de São Jorge, ' +
        'take tram 28 to Estrela in the afternoon, and keep Sunday for Belém (the Jerónimos Monastery and pastéis de nata).',
      finish: 'stop',
    };
  }
  return { text: 'Happy to help with your trip. Where would you like to go, and when?', finish: 'stop' };
}

function completionBody(request, created) {
  const d = decide(request);
  const model = MODEL_SNAPSHOTS[request.model] ?? request.model ?? 'gpt-4o-mini-2024-07-18';
  const visible = d.toolCalls ? JSON.stringify(d.toolCalls.map((c) => c.function)) : d.text;
  const message = { role: 'assistant', content: d.text, refusal: null, annotations: [] };
  if (d.toolCalls) message.tool_calls = d.toolCalls;
  return {
    decision: d,
    body: {
      id: `chatcmpl-${digest([request.model, request.messages, request.tools ?? null], 29)}`,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: d.finish }],
      usage: computeUsage(request, visible),
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    },
  };
}

/** Splits text into stream deltas of a few words, the way the API streams. */
function streamPieces(text) {
  return text.match(/\S+\s*/gu) ?? [text];
}

function writeStream(res, request, created, onExchange) {
  const { body, decision } = completionBody(request, created);
  onExchange?.({ request, status: 200, response: body });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const base = {
    id: body.id,
    object: 'chat.completion.chunk',
    created,
    model: body.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  const withUsage = request.stream_options?.include_usage === true;
  const chunk = (delta, finish) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  });
  send(chunk({ role: 'assistant', content: '', refusal: null }, null));
  if (decision.toolCalls) {
    decision.toolCalls.forEach((c, index) => {
      send(
        chunk(
          {
            tool_calls: [
              { index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } },
            ],
          },
          null,
        ),
      );
      send(chunk({ tool_calls: [{ index, function: { arguments: c.function.arguments } }] }, null));
    });
  } else {
    for (const piece of streamPieces(decision.text)) send(chunk({ content: piece }, null));
  }
  send(chunk({}, decision.finish));
  if (withUsage) send({ ...base, choices: [], usage: body.usage });
  res.end('data: [DONE]\n\n');
}

function sendJson(res, status, obj, extraHeaders = {}) {
  const text = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

function handle(req, res, body, onExchange) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) {
    sendJson(res, 404, {
      error: {
        message: `Unknown request URL: ${req.method} ${url.pathname}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    });
    return;
  }
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, {
      error: {
        message: 'We could not parse the JSON body of your request.',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    return;
  }
  const requestId = `req_${digest([request.model, request.messages], 32).toLowerCase()}`;
  const askedToFail = (request.messages ?? []).some((m) => contentText(m.content).includes(ERROR_MARKER));
  if (askedToFail) {
    const error = {
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    };
    onExchange?.({ request, status: 500, response: error });
    sendJson(res, 500, error, { 'x-request-id': requestId });
    return;
  }
  const created = Math.floor(Date.now() / 1000);
  if (request.stream === true) {
    writeStream(res, request, created, onExchange);
    return;
  }
  const { body: completion } = completionBody(request, created);
  onExchange?.({ request, status: 200, response: completion });
  sendJson(res, 200, completion, { 'x-request-id': requestId, 'openai-processing-ms': '42' });
}

/**
 * Starts the mock on 127.0.0.1. `port` 0 (the default) picks a free port. `url` is the base URL to
 * give the OpenAI client (it ends in /v1). `onExchange({ request, status, response })` sees every
 * answered completion (a stream as the equivalent chat.completion body), for the fixtures' README.
 */
export async function startMockOpenAI({ port = 0, onExchange } = {}) {
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(parts), onExchange);
      } catch (err) {
        sendJson(res, 500, {
          error: { message: String(err?.message ?? err), type: 'server_error', param: null, code: null },
        });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// `node mockOpenAI.mjs [port]` runs it alone, handy for trying the sample app by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const mock = await startMockOpenAI({ port: Number(process.argv[2] ?? 0) });
  console.log(`mock OpenAI API listening at ${mock.url}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
