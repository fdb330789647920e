// Tiny DOM helpers. Everything the view shows is built with createElement and textContent, so untrusted
// text can never become markup; the only HTML string in the bundle is markdown-it's sanitised output.

export type Child = Node | string | null | undefined | false;

export interface Props {
  className?: string;
  /** Attributes set with setAttribute; `undefined` skips one. Never `style` (the CSP forbids it). */
  attrs?: Record<string, string | undefined>;
  text?: string;
  onClick?: (event: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (value !== undefined) el.setAttribute(name, value);
    }
  }
  if (props.text !== undefined) el.textContent = props.text;
  // Widened to HTMLElement: the generic tag map defeats addEventListener's overload resolution.
  if (props.onClick) (el as HTMLElement).addEventListener('click', props.onClick);
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A codicon, hidden from screen readers (the control or text next to it carries the meaning). */
export function icon(name: string, extraClass = ''): HTMLElement {
  return h('i', {
    className: `codicon codicon-${name}${extraClass ? ` ${extraClass}` : ''}`,
    attrs: { 'aria-hidden': 'true' },
  });
}

/** A real button showing only an icon, labelled for assistive technology and with a tooltip. */
export function iconButton(
  iconName: string,
  label: string,
  onClick: (event: MouseEvent) => void,
  className = '',
): HTMLButtonElement {
  return h(
    'button',
    {
      className: `lti-icon-button${className ? ` ${className}` : ''}`,
      attrs: { type: 'button', 'aria-label': label, title: label },
      onClick,
    },
    icon(iconName),
  );
}

/** A <details> with a <summary>; `build` runs the first time it opens, so closed sections cost nothing. */
export function lazyDetails(
  summary: Child | Child[],
  build: () => Node,
  options: { open?: boolean; className?: string } = {},
): HTMLDetailsElement {
  const summaryEl = h('summary', { className: 'lti-summary' });
  append(summaryEl, ...(Array.isArray(summary) ? summary : [summary]));
  const details = h('details', { className: options.className ?? '' }, summaryEl);
  let built = false;
  const ensure = (): void => {
    if (built) return;
    built = true;
    details.appendChild(build());
  };
  if (options.open) {
    details.open = true;
    ensure();
  }
  details.addEventListener('toggle', () => {
    if (details.open) ensure();
  });
  return details;
}
