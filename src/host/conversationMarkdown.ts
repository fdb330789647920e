// A conversation as Markdown, for the clipboard: what a developer pastes into an issue, a review or a
// chat with a model. Built from the same ConversationState the panel shows, so the two agree (history
// that a later call repeats is left out the same way). Pure: no VS Code API.
//
// Message text is copied as the app sent it (it usually is Markdown already); everything structured
// (tool arguments, tool results, other parts) goes into fenced blocks whose fence is longer than any
// run of backticks inside, so no content can close its block early.

import {
  bytesAsHex,
  formatCost,
  formatCount,
  formatCut,
  formatDuration,
  formatPriceEntry,
  formatUsd,
  plural,
  totalTokens,
} from '../core/format';
import type { CallCost, Evaluation, Message, MessagePart, TraceSummary, Usage } from '../core/model';
import { callModel, type CallView, type ConversationState } from '../protocol/conversation';

export interface MarkdownOptions {
  /** One call only, with its whole input; otherwise the whole trace. */
  spanId?: string;
}

export function conversationMarkdown(state: ConversationState, options: MarkdownOptions = {}): string {
  const trace = state.trace;
  if (!trace) return '';
  const out: string[] = [];
  const numbered = state.calls.map((call, i) => ({ call, number: i + 1 }));
  if (options.spanId !== undefined) {
    const one = numbered.find((c) => c.call.spanId === options.spanId);
    if (!one) return '';
    out.push(
      `# ${inline(callModel(one.call))}: call ${one.number} of trace ${inline(trace.name || trace.traceId)}`,
      '',
    );
    out.push(ids(trace.sessionId, trace.userId, trace.traceId), '');
    callSection(out, one.call, one.number, numbered, false);
    return finish(out);
  }

  out.push(`# ${inline(trace.name || '(unnamed trace)')}`, '');
  const facts = [
    trace.service,
    `started ${new Date(trace.startMs).toISOString()}`,
    formatDuration(trace.durationMs),
    `${formatCount(trace.llmCallCount)} LLM call${trace.llmCallCount === 1 ? '' : 's'}`,
    plural(trace.toolCallCount, 'tool call'),
    trace.errorCount > 0 ? plural(trace.errorCount, 'failed span') : undefined,
    tokens(trace.usage),
    trace.cost ? traceCost(trace) : undefined,
  ].filter((x): x is string => !!x);
  out.push(facts.map(inline).join(' · '), '');
  out.push(ids(trace.sessionId, trace.userId, trace.traceId), '');
  for (const { call, number } of numbered) callSection(out, call, number, numbered, true);
  return finish(out);
}

function callSection(
  out: string[],
  call: CallView,
  number: number,
  all: readonly { call: CallView; number: number }[],
  foldRepeated: boolean,
): void {
  const llm = call.llm;
  out.push(`## Call ${number}: ${inline(callModel(call))}`, '');
  const facts = [
    llm.provider,
    llm.operation,
    tokens(llm.usage),
    llm.cost ? callCost(llm.cost) : undefined,
    `latency ${formatDuration(call.durationMs)}`,
    llm.finishReasons.length > 0 ? `finish: ${llm.finishReasons.join(', ')}` : undefined,
    call.status.code === 'error' ? 'status: error' : undefined,
  ].filter((x): x is string => !!x);
  out.push(facts.map(inline).join(' · '), '');
  const params = Object.entries(llm.parameters);
  if (params.length > 0)
    out.push(
      `Parameters: ${params.map(([k, v]) => `${inline(k)} ${inline(typeof v === 'string' ? v : JSON.stringify(v))}`).join(', ')}`,
      '',
    );
  if (call.error || call.status.code === 'error') {
    const what = [call.error?.type, call.error?.message ?? call.status.message].filter(Boolean).join(': ');
    out.push(`**Error**${what ? `: ${inline(what)}` : ''}`, '');
  }

  let messages: readonly Message[] = llm.messages;
  const repeated = foldRepeated ? call.repeatedInput : undefined;
  if (repeated && repeated.count > 0) {
    const from = all.find((c) => c.call.spanId === repeated.fromSpanId)?.number;
    out.push(
      `_${repeated.count} earlier message${repeated.count === 1 ? '' : 's'}${from !== undefined ? `, already in call ${from},` : ''} left out._`,
      '',
    );
    let skipped = 0;
    messages = messages.filter((m) => !(m.direction === 'input' && skipped++ < repeated.count));
  }
  if (llm.messages.length === 0) {
    out.push(
      `_No message content was recorded${llm.missingContent ? ` (${MISSING[llm.missingContent]})` : ''}._`,
      '',
    );
  }
  for (const message of messages) messageSection(out, message);
  evaluationsSection(out, llm.evaluations ?? []);
}

/** The call's `gen_ai.evaluation.result` events, one line each: name, score, label, explanation. */
function evaluationsSection(out: string[], evaluations: readonly Evaluation[]): void {
  if (evaluations.length === 0) return;
  out.push('**Evaluations**', '');
  for (const e of evaluations) {
    const score = e.score !== undefined ? `: ${e.score}` : '';
    const label = e.label ? ` (${e.label})` : '';
    const explanation = e.explanation ? ` — ${e.explanation}` : '';
    out.push(`- ${inline(`${e.name}${score}${label}${explanation}`)}`);
  }
  out.push('');
}

const MISSING: Record<NonNullable<CallView['llm']['missingContent']>, string> = {
  captureDisabled: 'content capture is off in the instrumentation',
  logsNotExported: 'the content went out as log records, and none arrived',
  truncated: 'the content was cut upstream',
};

function messageSection(out: string[], message: Message): void {
  const role = message.role ? message.role.charAt(0).toUpperCase() + message.role.slice(1) : 'Unknown';
  const notes = [
    message.name,
    message.direction === 'output' && message.finishReason ? `finish: ${message.finishReason}` : undefined,
    message.truncated
      ? message.truncatedAt
        ? `${formatCut(message.truncatedAt)} upstream`
        : 'cut upstream'
      : undefined,
  ].filter((x): x is string => !!x);
  out.push(`### ${inline(role)}${notes.length > 0 ? ` (${notes.map(inline).join(', ')})` : ''}`, '');
  for (const part of message.parts) partLines(out, part);
}

function partLines(out: string[], part: MessagePart): void {
  switch (part.type) {
    case 'text':
      out.push(part.text, '');
      return;
    case 'reasoning':
      out.push('_Reasoning:_', '', ...part.text.split('\n').map((line) => `> ${line}`), '');
      return;
    case 'toolCall':
      out.push(`Tool call ${code(part.name)}${part.id ? ` (${code(part.id)})` : ''}:`, '');
      fenced(out, part.arguments);
      return;
    case 'toolResult':
      out.push(
        `Tool result${part.name ? ` of ${code(part.name)}` : ''}${part.id ? ` for ${code(part.id)}` : ''}:`,
        '',
      );
      fenced(out, part.result);
      return;
    case 'media': {
      const what = [
        part.modality,
        part.mimeType,
        part.size !== undefined ? `${formatCount(part.size)} bytes` : undefined,
        part.fileId ? `file ${part.fileId}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      out.push(`_[${inline(what || 'media')}]_`, '');
      return;
    }
    case 'other':
      out.push(`${inline(part.kind)}:`, '');
      fenced(out, typeof part.value === 'string' ? part.value : JSON.stringify(part.value, bytesAsHex, 2));
      return;
  }
}

/** A fenced block: JSON pretty-printed and marked as such, anything else as text. */
function fenced(out: string[], text: string): void {
  let body = text;
  let lang = '';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) {
      body = JSON.stringify(value, null, 2);
      lang = 'json';
    }
  } catch {
    // not JSON: as it is
  }
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  out.push(`${fence}${lang}`, body, fence, '');
}

/** "cost $0.0012 (gpt-4o-mini, shipped prices of 2025-08-15)", saying which calls had no price. */
function traceCost(trace: TraceSummary): string {
  const cost = trace.cost!;
  const basis = [
    ...(trace.costBasis?.entries ?? []).map(formatPriceEntry),
    ...(cost.unpricedCalls > 0
      ? [
          `${plural(cost.unpricedCalls, 'call')} with no price${trace.costBasis?.unpricedModels.length ? `: ${trace.costBasis.unpricedModels.join(', ')}` : ''}`,
        ]
      : []),
  ];
  return `cost ${formatCost(cost)}${basis.length ? ` (${basis.join('; ')})` : ''}`;
}

function callCost(cost: CallCost): string {
  if (!cost.priced) return `cost: no price${cost.models.length ? ` for ${cost.models.join(', ')}` : ''}`;
  return `cost ${formatUsd(cost.usd)} (${formatPriceEntry(cost.entry)})`;
}

function tokens(usage: Usage): string | undefined {
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  const extra = [
    totalTokens(usage) !== undefined ? `${formatCount(totalTokens(usage)!)} total` : undefined,
    usage.cachedInputTokens !== undefined ? `${formatCount(usage.cachedInputTokens)} cached` : undefined,
    usage.cacheCreationInputTokens !== undefined
      ? `${formatCount(usage.cacheCreationInputTokens)} written to the cache`
      : undefined,
    usage.reasoningTokens !== undefined ? `${formatCount(usage.reasoningTokens)} reasoning` : undefined,
  ].filter(Boolean);
  const inOut = `${usage.inputTokens !== undefined ? formatCount(usage.inputTokens) : '?'} → ${usage.outputTokens !== undefined ? formatCount(usage.outputTokens) : '?'} tokens`;
  return extra.length > 0 ? `${inOut} (${extra.join(', ')})` : inOut;
}

function ids(sessionId: string | undefined, userId: string | undefined, traceId: string): string {
  return [
    sessionId !== undefined ? `Session ${code(sessionId)}` : undefined,
    userId !== undefined ? `User ${code(userId)}` : undefined,
    `Trace ${code(traceId)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** An id or name as inline code, with a fence longer than any backticks inside. */
function code(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const tick = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${tick}${pad}${flat}${pad}${tick}`;
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/** Text from the traced app inside a line we write: on one line, Markdown's own characters escaped. */
function inline(text: string): string {
  return (
    text
      .replace(/\s+/g, ' ')
      .replace(/[\\`*[\]<>#|]/g, (c) => `\\${c}`)
      // An underscore inside a word (tool_calls, handle_turn) never starts emphasis: left as it is.
      .replace(/_/g, (c, at: number, all: string) =>
        /\w/.test(all[at - 1] ?? '') && /\w/.test(all[at + 1] ?? '') ? c : `\\${c}`,
      )
  );
}

function finish(lines: string[]): string {
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n') + '\n';
}
