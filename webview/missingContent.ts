// When a call has no messages the view says why and what to change, instead of showing an empty box:
// the switches are different for every instrumentation family and easy to get wrong.

import type { LlmCall } from '../src/core/model';
import { append, h, icon } from './dom';

type Convention = LlmCall['convention'];

interface Switch {
  convention: Convention;
  who: string;
  /** Made anew for each card: a DOM node appended to a second card leaves the first. */
  what: () => (string | HTMLElement)[];
}

function code(text: string): HTMLElement {
  return h('code', { text });
}

const CAPTURE_SWITCHES: Switch[] = [
  {
    convention: 'genai',
    who: 'OpenTelemetry GenAI instrumentations (e.g. the official OpenAI ones)',
    what: () => [
      'set ',
      code('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true'),
      ' (off by default), and export logs too: the content travels as log records.',
    ],
  },
  {
    convention: 'openllmetry',
    who: 'OpenLLMetry / Traceloop',
    what: () => [
      code('TRACELOOP_TRACE_CONTENT'),
      ' is on by default; something set it to ',
      code('false'),
      ' (or ',
      code('traceContent: false'),
      ' was passed to the SDK).',
    ],
  },
  {
    convention: 'openinference',
    who: 'OpenInference',
    what: () => [
      'unset ',
      code('OPENINFERENCE_HIDE_INPUTS'),
      ' and ',
      code('OPENINFERENCE_HIDE_OUTPUTS'),
      ' (and the ',
      code('…_HIDE_INPUT_MESSAGES'),
      ' / ',
      code('…_HIDE_OUTPUT_MESSAGES'),
      ' variants).',
    ],
  },
];

function callout(title: string, ...body: (Node | string)[]): HTMLElement {
  const box = h(
    'div',
    { className: 'lti-callout lti-callout-info', attrs: { role: 'note' } },
    h('div', { className: 'lti-callout-title' }, icon('eye-closed'), h('strong', { text: title })),
  );
  append(box, ...body);
  return box;
}

/** The explanation shown in place of the messages of a call that has none. */
export function missingContentElement(call: LlmCall): HTMLElement {
  switch (call.missingContent) {
    case 'captureDisabled': {
      // The family this call was read with goes first: it is almost certainly the switch to turn.
      const ordered = [...CAPTURE_SWITCHES].sort(
        (a, b) => Number(b.convention === call.convention) - Number(a.convention === call.convention),
      );
      const list = h('ul', { className: 'lti-switches' });
      for (const s of ordered) {
        const item = h('li', {}, h('strong', { text: `${s.who}: ` }), ...s.what());
        if (s.convention === call.convention) {
          item.classList.add('lti-switch-match');
          item.appendChild(h('span', { className: 'lti-pill', text: 'this call' }));
        }
        list.appendChild(item);
      }
      return callout(
        'Message content was not captured',
        h('p', {
          text: 'The instrumentation recorded this call without its prompts and answers. Turn content capture on and run the app again:',
        }),
        list,
      );
    }
    case 'logsNotExported':
      return callout(
        'The messages were sent as log records, and none arrived',
        h('p', {
          text: 'This instrumentation writes prompts and answers as OpenTelemetry log records (events such as gen_ai.user.message and gen_ai.choice), not on the span. The app exports traces but not logs to the inspector.',
        }),
        h(
          'ul',
          { className: 'lti-switches' },
          h(
            'li',
            {},
            'With auto-instrumentation or the SDK’s environment configuration: ',
            code('OTEL_LOGS_EXPORTER=otlp'),
            '.',
          ),
          h(
            'li',
            {},
            'In code: register a ',
            code('LoggerProvider'),
            ' with a ',
            code('BatchLogRecordProcessor'),
            ' and an OTLP log exporter pointed at the same endpoint as the traces (',
            code('/v1/logs'),
            ').',
          ),
          h(
            'li',
            {},
            'Content capture must be on as well: ',
            code('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true'),
            '.',
          ),
        ),
      );
    case 'truncated':
      return callout(
        'The messages were cut upstream and could not be read',
        h('p', {
          text: 'The attribute holding them exceeded a length limit on the way (an SDK limit such as OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, or the cut Application Insights applies to long values). What did arrive is in the raw attributes below.',
        }),
      );
    default:
      return callout(
        'No messages were recorded for this call',
        h('p', {
          text: 'The span carries no prompt or answer in any convention the inspector knows. Its attributes are listed below.',
        }),
      );
  }
}
