// Markdown for untrusted message text. markdown-it parses (raw HTML off, so any tag in a prompt stays
// text) and this module turns its tokens straight into DOM nodes from an allowlist: no HTML string is
// ever parsed, images become links that are never loaded, and only http(s)/mailto links stay links (the
// click handler in main.ts hands them to the host instead of following them).

import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { append, h, icon } from './dom';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });

/** Attribute that carries the target of a link the user may open through the host. */
export const LINK_HREF_ATTRIBUTE = 'data-lti-href';

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/** Whether a link may be offered to the host at all; the host checks again before opening. */
export function isExternalHref(href: string): boolean {
  return SAFE_LINK.test(href.trim());
}

/** Block and inline tags markdown-it emits for CommonMark plus tables and strikethrough; nothing else. */
const ALLOWED_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'strong',
  'em',
  's',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
]);

function attr(token: Token, name: string): string | null {
  const value = token.attrGet(name);
  return value === null ? null : String(value);
}

/** A link (or, for an unsafe target, inert text showing the target) built from markdown-it's attrs. */
function linkElement(href: string | null): HTMLElement {
  if (href && isExternalHref(href)) {
    return h('a', {
      className: 'lti-md-link',
      attrs: { href, [LINK_HREF_ATTRIBUTE]: href, title: `${href} (opens in your browser)` },
    });
  }
  return h('span', { className: 'lti-md-inert-link', attrs: { title: href ?? '' } });
}

function openElement(token: Token): HTMLElement {
  if (token.type === 'link_open') return linkElement(attr(token, 'href'));
  const tag = token.tag;
  if (!ALLOWED_TAGS.has(tag)) return h('span');
  const el = document.createElement(tag);
  if (tag === 'ol') {
    const start = attr(token, 'start');
    if (start && /^\d{1,9}$/.test(start)) el.setAttribute('start', start);
  }
  if (tag === 'th' || tag === 'td') {
    // markdown-it aligns cells with a style attribute, which the CSP forbids; a class does the same.
    const align = /text-align:\s*(left|right|center)/.exec(attr(token, 'style') ?? '');
    if (align) el.className = `lti-align-${align[1]}`;
  }
  return el;
}

/** An image reference shown as a link with its description; the image itself is never fetched. */
function imageElement(token: Token): HTMLElement {
  const src = attr(token, 'src') ?? '';
  const alt = token.content || 'image';
  const label = [icon('file-media'), `Image: ${alt}`];
  if (isExternalHref(src)) {
    const a = linkElement(src);
    a.classList.add('lti-md-image');
    append(a, ...label);
    return a;
  }
  const inert = h('span', { className: 'lti-md-image lti-md-inert-link', attrs: { title: src } }, ...label);
  if (src && !src.startsWith('data:')) append(inert, ` (${src})`);
  return inert;
}

/** A code block with a copy button; the copy is wired by the caller's handler. */
export interface CodeBlockOptions {
  language?: string;
  onCopy?: (text: string) => void;
  copyLabel?: string;
}

export function codeBlock(text: string, options: CodeBlockOptions = {}): HTMLElement {
  const lang = options.language && /^[\w+-]{1,32}$/.test(options.language) ? options.language : undefined;
  const code = h('code', { className: lang ? `language-${lang}` : '', text });
  const wrapper = h('div', { className: 'lti-code' }, h('pre', {}, code));
  if (lang)
    wrapper.appendChild(
      h('span', { className: 'lti-code-lang', text: lang, attrs: { 'aria-hidden': 'true' } }),
    );
  if (options.onCopy) {
    const onCopy = options.onCopy;
    const label = options.copyLabel ?? 'Copy code';
    wrapper.appendChild(
      h(
        'button',
        {
          className: 'lti-icon-button lti-code-copy',
          attrs: { type: 'button', 'aria-label': label, title: label },
          onClick: () => onCopy(text),
        },
        icon('copy'),
      ),
    );
  }
  return wrapper;
}

function renderTokens(tokens: readonly Token[], parent: Node, options: CodeBlockOptions): void {
  const stack: Node[] = [parent];
  for (const token of tokens) {
    const top = stack[stack.length - 1] as Node;
    if (token.nesting === 1) {
      // Paragraphs inside tight lists are hidden: their content goes straight into the list item.
      const el = token.hidden ? top : openElement(token);
      if (el !== top) top.appendChild(el);
      stack.push(el);
      continue;
    }
    if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    switch (token.type) {
      case 'inline':
        renderTokens(token.children ?? [], top, options);
        break;
      case 'text':
        top.appendChild(document.createTextNode(token.content));
        break;
      case 'code_inline':
        top.appendChild(h('code', { text: token.content }));
        break;
      case 'softbreak':
      case 'hardbreak':
        top.appendChild(h('br'));
        break;
      case 'fence':
      case 'code_block': {
        const language = token.info.trim().split(/\s+/)[0];
        top.appendChild(
          codeBlock(token.content.replace(/\n$/, ''), { ...options, ...(language ? { language } : {}) }),
        );
        break;
      }
      case 'hr':
        top.appendChild(h('hr'));
        break;
      case 'image':
        top.appendChild(imageElement(token));
        break;
      default:
        // html_block / html_inline cannot occur with html: false; anything unexpected is shown as text.
        if (token.content) top.appendChild(document.createTextNode(token.content));
    }
  }
}

/** Renders Markdown into a fragment made only of allowlisted elements and text nodes. */
export function renderMarkdown(text: string, options: CodeBlockOptions = {}): DocumentFragment {
  const fragment = document.createDocumentFragment();
  renderTokens(md.parse(text, {}), fragment, options);
  return fragment;
}
