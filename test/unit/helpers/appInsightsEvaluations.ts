// `gen_ai.evaluation.result` events added to the otel-openai app's captured Application Insights envelopes,
// made from the captured call envelopes the way @azure/monitor-opentelemetry-exporter makes them
// (spanEventsToEnvelopes): a span event other than an exception is a MessageData whose message is the event's
// name and whose properties are its attributes, parented to its span; a log record carries `event.name` among
// its properties and its body in the message. No capture has evaluations, so these are built, on real calls.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface Envelope {
  name: string;
  time: string;
  iKey?: string;
  tags: Record<string, string>;
  data: {
    baseType: string;
    baseData: { id?: string; name?: string; message?: string; properties?: Record<string, string> };
  };
}

export interface EvaluationEnvelopes {
  envelopes: Envelope[];
  /** Each evaluated call's span id -> the evaluation names it should show, in the order sent. */
  expected: Map<string, string[]>;
  /** The operation of each evaluated call. */
  operations: Map<string, string>;
  /** The evaluator's own span (no GenAI dimensions), whose event names its call by response id. */
  evaluatorSpanId: string;
}

/**
 * The otel-openai envelopes (`dir`) plus evaluations of three of its model calls: two span events on the
 * first (and two events that are not evaluations), a log record on the second, and on the third an event
 * on an evaluator's own span that names the call only by `gen_ai.response.id`.
 */
export function envelopesWithEvaluations(dir: string): EvaluationEnvelopes {
  const envelopes = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Envelope[]);
  const props = (e: Envelope): Record<string, string> => e.data.baseData.properties ?? {};
  const chats = envelopes.filter(
    (e) => e.data.baseType === 'RemoteDependencyData' && props(e)['gen_ai.operation.name'] === 'chat',
  );
  const [a, b] = chats as [Envelope, Envelope];
  // A third, with a response id no other call has.
  const c = chats.find(
    (e) =>
      e !== a &&
      e !== b &&
      props(e)['gen_ai.response.id'] &&
      chats.filter((x) => props(x)['gen_ai.response.id'] === props(e)['gen_ai.response.id']).length === 1,
  )!;
  const event = (parent: Envelope, message: string, properties: Record<string, string>): Envelope => ({
    name: 'Microsoft.ApplicationInsights.Message',
    time: parent.time,
    ...(parent.iKey ? { iKey: parent.iKey } : {}),
    tags: { ...parent.tags, 'ai.operation.parentId': parent.data.baseData.id! },
    data: { baseType: 'MessageData', baseData: { message, properties } },
  });
  const evaluatorSpanId = 'e0a1e0a1e0a1e0a1';
  const evaluator: Envelope = {
    name: 'Microsoft.ApplicationInsights.RemoteDependency',
    time: c.time,
    ...(c.iKey ? { iKey: c.iKey } : {}),
    tags: { ...c.tags, 'ai.operation.parentId': c.tags['ai.operation.parentId']! },
    data: {
      baseType: 'RemoteDependencyData',
      baseData: {
        ...c.data.baseData,
        id: evaluatorSpanId,
        name: 'evaluate answer',
        properties: {},
      },
    },
  };
  envelopes.push(
    event(a, 'gen_ai.evaluation.result', {
      'gen_ai.evaluation.name': 'Relevance',
      'gen_ai.evaluation.score.value': '0.9',
      'gen_ai.evaluation.score.label': 'relevant',
      'gen_ai.evaluation.explanation': 'It answers the question asked.',
    }),
    event(a, 'gen_ai.evaluation.result', { 'gen_ai.evaluation.name': 'Groundedness' }),
    // Not an evaluation: another event, and an evaluation event without the name the conventions require.
    event(a, 'gen_ai.choice', { 'gen_ai.evaluation.name': 'Relevance' }),
    event(a, 'gen_ai.evaluation.result', { 'gen_ai.evaluation.score.value': '1' }),
    event(b, '{"score":0.4}', {
      'event.name': 'gen_ai.evaluation.result',
      'gen_ai.evaluation.name': 'Coherence',
    }),
    evaluator,
    event(evaluator, 'gen_ai.evaluation.result', {
      'gen_ai.evaluation.name': 'Fluency',
      'gen_ai.evaluation.score.value': '4',
      'gen_ai.response.id': props(c)['gen_ai.response.id']!,
    }),
  );
  const id = (e: Envelope): string => e.data.baseData.id!;
  return {
    envelopes,
    expected: new Map([
      [id(a), ['Relevance', 'Groundedness']],
      [id(b), ['Coherence']],
      [id(c), ['Fluency']],
    ]),
    operations: new Map([a, b, c].map((e) => [id(e), e.tags['ai.operation.id']!])),
    evaluatorSpanId,
  };
}
