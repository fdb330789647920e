// The turns the app runs for the Application Insights capture, in order. Six are the shared scenarios
// of ../scenarios.mjs; `followup` is added here so the Lisbon session has three turns, each carrying the
// conversation so far (chat -> tools, whose history is the chat turn -> followup, whose history is both).
// Sessions and users: Lisbon (user-1042) chat, tools, followup; Porto (user-2077) error, stream, large;
// Kyoto (user-3318) unicode.
import { FIXTURE_IDENTITIES, MODELS, firstMessages, runScenario } from '../scenarios.mjs';

export const FOLLOW_UP_PROMPT =
  'Perfect, thanks! Can you sum up our Lisbon weekend plan in one line, so I can send it to my partner?';

export const TURNS = ['chat', 'tools', 'followup', 'error', 'stream', 'unicode', 'large'];

export const IDENTITIES = { ...FIXTURE_IDENTITIES, followup: FIXTURE_IDENTITIES.chat };

/**
 * Runs every turn with the library's `app` ({ openai, hooks }) and awaits `afterTurn(name, result)`
 * after each (the runner flushes there).
 */
export async function runTurns(app, afterTurn) {
  const answers = {};
  for (const name of TURNS) {
    const result =
      name === 'followup'
        ? await followUp(app, answers)
        : await runScenario(name, { openai: app.openai, hooks: app.hooks });
    answers[name] = result.text;
    await afterTurn(name, result);
  }
}

/** The third Lisbon turn: the whole conversation so far (as text) and a new question. */
async function followUp({ openai, hooks }, answers) {
  const { sessionId, userId } = IDENTITIES.followup;
  const messages = [
    ...firstMessages('tools'),
    { role: 'assistant', content: answers.tools },
    { role: 'user', content: FOLLOW_UP_PROMPT },
  ];
  const meta = { scenario: 'followup', sessionId, userId, userText: FOLLOW_UP_PROMPT, failed: false };
  const text = await hooks.turn(meta, async () => {
    const res = await openai.chat.completions.create({
      model: MODELS.chat,
      messages,
      user: userId,
      temperature: 0.7,
      max_tokens: 400,
    });
    return res.choices[0].message.content ?? '';
  });
  return { text, failed: false };
}
