// One block per message: who spoke, where the inspector read it from, and its parts (text as safe
// Markdown, tool calls and results as JSON, reasoning folded away, media as a described placeholder).
// Long texts show their beginning and render the rest only when asked, so a huge prompt costs nothing
// until someone wants to read it.

import type { Message, MessagePart } from '../src/core/model';
import { append, h, icon, iconButton, lazyDetails } from './dom';
import { formatCount, formatCut } from '../src/core/format';
import { formatBytes, prettyJson, prettyJsonText } from './format';
import { codeBlock, isExternalHref, LINK_HREF_ATTRIBUTE, renderMarkdown } from './markdown';

/** What rendering needs from its surroundings; copies go through the host, never navigator.clipboard. */
export interface ViewContext {
  copy(text: string, what: string): void;
  /** Asks the host to copy the trace, or one call, as Markdown (the host holds the whole model). */
  copyMarkdown(spanId?: string): void;
}

/** Texts longer than this show their beginning and a "Show all" button. */
export const LONG_TEXT_CHARS = 4000;
/** How much of a long text is shown before "Show all". */
export const PREVIEW_CHARS = 1500;
/**
 * Texts longer than this (a pasted log, a base64 image sent as text) say their size in bytes, and "Show
 * all" shows them as plain text: Markdown over megabytes would hold the page for seconds.
 */
export const HUGE_TEXT_CHARS = 100_000;

/** Characters per piece of a huge text; the browser lays out only the pieces near the screen. */
const HUGE_PIECE_CHARS = 16_384;

/** A huge text as plain text in pieces that the browser skips laying out while off screen. */
function hugeText(text: string): HTMLElement {
  const box = h('div', { className: 'lti-plain lti-huge' });
  for (let i = 0; i < text.length; i += HUGE_PIECE_CHARS) {
    let end = Math.min(text.length, i + HUGE_PIECE_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    box.appendChild(h('span', { className: 'lti-huge-piece', text: text.slice(i, end) }));
    i = end - HUGE_PIECE_CHARS;
  }
  return box;
}

/** The UTF-8 size of a text, without encoding it. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export type RoleKind = 'system' | 'user' | 'assistant' | 'tool' | 'other';

const ROLE_KINDS: Record<string, RoleKind> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  ai: 'assistant',
  model: 'assistant',
  bot: 'assistant',
  tool: 'tool',
  function: 'tool',
  ipython: 'tool',
};

const ROLE_ICONS: Record<RoleKind, string> = {
  system: 'settings-gear',
  user: 'account',
  assistant: 'sparkle',
  tool: 'tools',
  other: 'comment',
};

export function roleKind(role: string): RoleKind {
  return ROLE_KINDS[role.trim().toLowerCase()] ?? 'other';
}

/** "from log record gen_ai.user.message": where the text was found, so a surprise can be traced back. */
export function originNote(message: Message): string {
  switch (message.origin) {
    case 'attribute':
      return `from attribute ${message.originName}`;
    case 'flattenedAttribute':
      return `from attributes ${message.originName}`;
    case 'spanEvent':
      return `from span event ${message.originName}`;
    case 'logRecord':
      return `from log record ${message.originName}`;
    case 'ioValue':
      return `from ${message.originName}`;
    default:
      return message.originName ? `from ${message.originName}` : '';
  }
}

/** Where to cut a long text: at a line break near the limit when there is one, so Markdown stays whole. */
function cutPoint(text: string, limit: number): number {
  const lineBreak = text.lastIndexOf('\n', limit);
  return lineBreak > limit * 0.75 ? lineBreak : limit;
}

/**
 * Shows `render(text)`, or for a long text `render(beginning)` and a button that renders it all. The
 * button is replaced by the full rendering, and focus moves to it so keyboard users keep their place.
 */
export function collapsibleText(
  text: string,
  render: (text: string, complete: boolean) => Node,
): HTMLElement {
  const container = h('div', { className: 'lti-collapsible' });
  if (text.length <= LONG_TEXT_CHARS) {
    container.appendChild(render(text, true));
    return container;
  }
  const preview = h(
    'div',
    { className: 'lti-preview' },
    render(text.slice(0, cutPoint(text, PREVIEW_CHARS)), false),
  );
  const huge = text.length > HUGE_TEXT_CHARS;
  const button = h('button', {
    className: 'lti-button lti-show-all',
    attrs: { type: 'button' },
    onClick: () => {
      const full = h(
        'div',
        { attrs: { tabindex: '-1' } },
        huge
          ? h('p', {
              className: 'lti-muted',
              text: 'Shown as plain text: it is too long to render as Markdown.',
            })
          : null,
        huge ? hugeText(text) : render(text, true),
      );
      container.replaceChildren(full);
      full.focus({ preventScroll: true });
    },
  });
  append(
    button,
    icon('unfold'),
    huge
      ? `Show all (${formatBytes(utf8Length(text))})`
      : `Show all (${formatCount(text.length)} characters)`,
  );
  append(container, preview, button);
  return container;
}

/** A text part: JSON as a code block, anything else as Markdown (or as plain text when asked). */
function textContent(text: string, plain: boolean, ctx: ViewContext, what: string): Node {
  const json = prettyJsonText(text);
  if (json !== undefined) {
    return collapsibleText(json, (shown) =>
      codeBlock(shown, { language: 'json', onCopy: () => ctx.copy(json, what), copyLabel: `Copy ${what}` }),
    );
  }
  if (plain) return collapsibleText(text, (shown) => h('div', { className: 'lti-plain', text: shown }));
  return collapsibleText(text, (shown) =>
    h(
      'div',
      { className: 'lti-markdown' },
      renderMarkdown(shown, { onCopy: (code) => ctx.copy(code, 'code'), copyLabel: 'Copy code' }),
    ),
  );
}

function partHead(
  iconName: string,
  kind: string,
  ...rest: (Node | string | null | undefined)[]
): HTMLElement {
  const head = h(
    'div',
    { className: 'lti-part-head' },
    icon(iconName),
    h('span', { className: 'lti-part-kind', text: kind }),
  );
  append(head, ...rest);
  return head;
}

function jsonPart(text: string, ctx: ViewContext, what: string): HTMLElement {
  const pretty = prettyJsonText(text);
  const shown = pretty ?? text;
  return collapsibleText(shown, (part) =>
    codeBlock(part, {
      ...(pretty !== undefined ? { language: 'json' } : {}),
      onCopy: () => ctx.copy(text, what),
      copyLabel: `Copy ${what}`,
    }),
  );
}

function toolCallPart(part: Extract<MessagePart, { type: 'toolCall' }>, ctx: ViewContext): HTMLElement {
  const args = part.arguments.trim();
  const head = partHead(
    'symbol-method',
    'Tool call',
    h('code', { className: 'lti-tool-name', text: part.name || '(unnamed)' }),
    part.id
      ? h('span', { className: 'lti-muted lti-id', text: part.id, attrs: { title: 'Tool call id' } })
      : null,
  );
  const body =
    args && args !== '{}'
      ? jsonPart(args, ctx, `arguments of ${part.name}`)
      : h('p', { className: 'lti-muted', text: 'No arguments.' });
  return h('div', { className: 'lti-part lti-tool-call' }, head, body);
}

function toolResultPart(part: Extract<MessagePart, { type: 'toolResult' }>, ctx: ViewContext): HTMLElement {
  const head = partHead(
    'output',
    'Tool result',
    part.name ? h('code', { className: 'lti-tool-name', text: part.name }) : null,
    part.id
      ? h('span', { className: 'lti-muted lti-id', text: `for ${part.id}`, attrs: { title: 'Tool call id' } })
      : null,
  );
  const body =
    part.result.length > 0
      ? jsonPart(part.result, ctx, `result of ${part.name ?? part.id ?? 'the tool'}`)
      : h('p', { className: 'lti-muted', text: 'Empty result.' });
  return h('div', { className: 'lti-part lti-tool-result' }, head, body);
}

function mediaPart(part: Extract<MessagePart, { type: 'media' }>): HTMLElement {
  const kind = part.modality ?? part.mimeType?.split('/')[0] ?? 'media';
  const facts = [part.mimeType, part.size !== undefined ? formatBytes(part.size) : undefined]
    .filter((x): x is string => !!x)
    .join(', ');
  const head = partHead(
    'file-media',
    `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`,
    facts ? h('span', { className: 'lti-muted', text: facts }) : null,
  );
  const note = h('p', { className: 'lti-muted', text: 'Not loaded in this view.' });
  if (part.uri) {
    const uri = part.uri;
    const shown = uri.startsWith('data:')
      ? `${uri.slice(0, 48)}… (${formatCount(uri.length)} characters)`
      : uri;
    append(
      note,
      ' ',
      isExternalHref(uri)
        ? h('a', {
            className: 'lti-md-link',
            attrs: { href: uri, [LINK_HREF_ATTRIBUTE]: uri, title: `${uri} (opens in your browser)` },
            text: shown,
          })
        : h('code', { className: 'lti-uri', text: shown }),
    );
  }
  return h('div', { className: 'lti-part lti-media' }, head, note);
}

function partElement(part: MessagePart, plain: boolean, ctx: ViewContext): Node {
  switch (part.type) {
    case 'text':
      return h('div', { className: 'lti-part lti-text' }, textContent(part.text, plain, ctx, 'text'));
    case 'reasoning':
      return lazyDetails(
        [icon('lightbulb'), `Reasoning (${formatCount(part.text.length)} characters)`],
        () => textContent(part.text, plain, ctx, 'reasoning'),
        {
          className: 'lti-part lti-reasoning',
        },
      );
    case 'toolCall':
      return toolCallPart(part, ctx);
    case 'toolResult':
      return toolResultPart(part, ctx);
    case 'media':
      return mediaPart(part);
    case 'other':
      return h(
        'div',
        { className: 'lti-part lti-other' },
        partHead('json', part.kind || 'Other content'),
        collapsibleText(prettyJson(part.value), (shown) =>
          codeBlock(shown, {
            language: 'json',
            onCopy: () => ctx.copy(prettyJson(part.value), part.kind),
            copyLabel: 'Copy',
          }),
        ),
      );
  }
}

/** The message as text for the copy button: its text parts, or everything as JSON when it has none. */
export function messageCopyText(message: Message): string {
  const texts = message.parts
    .filter((p): p is Extract<MessagePart, { type: 'text' }> => p.type === 'text')
    .map((p) => p.text);
  return texts.length > 0 ? texts.join('\n\n') : prettyJson(message.parts);
}

function hasText(message: Message): boolean {
  return message.parts.some(
    (p) => (p.type === 'text' || p.type === 'reasoning') && prettyJsonText(p.text) === undefined,
  );
}

export function messageElement(message: Message, ctx: ViewContext): HTMLElement {
  const kind = roleKind(message.role);
  const role = message.role || 'unknown';
  const article = h('article', {
    className: `lti-msg lti-role-${kind}${message.direction === 'output' ? ' lti-msg-output' : ''}`,
    attrs: { 'aria-label': `${role} message` },
  });
  const head = h(
    'div',
    { className: 'lti-msg-head' },
    h('span', { className: 'lti-role' }, icon(ROLE_ICONS[kind]), role),
    message.name ? h('span', { className: 'lti-msg-name', text: message.name }) : null,
    message.index !== undefined && message.index > 0
      ? h('span', { className: 'lti-pill', text: `choice ${message.index + 1}` })
      : null,
    message.finishReason
      ? h('span', {
          className: 'lti-pill',
          text: `finish: ${message.finishReason}`,
          attrs: { title: 'Finish reason' },
        })
      : null,
    h('span', { className: 'lti-origin', text: originNote(message) }),
  );
  const body = h('div', { className: 'lti-msg-body' });
  let plain = false;
  const fill = (): void => {
    body.replaceChildren();
    if (message.truncated) {
      body.appendChild(
        h(
          'p',
          { className: 'lti-note lti-note-warning' },
          icon('warning'),
          message.truncatedAt
            ? `This text was ${formatCut(message.truncatedAt)} upstream (a length limit of the exporter or SDK on the way), before it reached the inspector: what follows is all that arrived.`
            : 'This text was cut upstream, before it reached the inspector: what follows is all that arrived.',
        ),
      );
    }
    if (message.parts.length === 0)
      body.appendChild(h('p', { className: 'lti-muted', text: '(empty message)' }));
    for (const part of message.parts) body.appendChild(partElement(part, plain, ctx));
  };
  const actions = h('span', { className: 'lti-actions' });
  if (hasText(message)) {
    const toggle = iconButton('markdown', 'Show as plain text', () => {
      plain = !plain;
      toggle.setAttribute('aria-pressed', String(plain));
      fill();
    });
    toggle.setAttribute('aria-pressed', 'false');
    actions.appendChild(toggle);
  }
  actions.appendChild(
    iconButton('copy', `Copy ${role} message`, () => ctx.copy(messageCopyText(message), `${role} message`)),
  );
  head.appendChild(actions);
  fill();
  append(article, head, body);
  return article;
}
