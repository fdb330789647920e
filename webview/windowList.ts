// A list in the page's own scroll whose items are built and kept in the page only while near the screen
// (@tanstack/virtual-core, measured heights): a trace of thousands of calls lays out a few cards, not all
// of them. Items stay in the page between paints while on screen, so focus and selection inside them
// survive scrolling. Offsets are set through the CSSOM, which the CSP allows.

import { Virtualizer, observeWindowOffset, observeWindowRect, windowScroll } from '@tanstack/virtual-core';
import { h } from './dom';

export class WindowList {
  readonly element: HTMLElement;
  private readonly virtualizer: Virtualizer<Window, HTMLElement>;
  private readonly wrappers = new Map<number, HTMLElement>();
  private unmount: (() => void) | undefined;
  private focusIndex: number | undefined;
  /** The item's element; called again only after `reset`, or for the items `rebuild` names. */
  private build: (index: number) => HTMLElement = () => h('div');
  private estimate: (index: number) => number;

  constructor(className: string, estimateSize: number) {
    this.estimate = () => estimateSize;
    this.element = h('div', { className: `${className} lti-window-list` });
    this.virtualizer = new Virtualizer<Window, HTMLElement>({
      count: 0,
      getScrollElement: () => window,
      estimateSize: (index) => this.estimate(index),
      scrollToFn: windowScroll,
      observeElementRect: observeWindowRect,
      observeElementOffset: observeWindowOffset,
      measureElement: (el) => el.getBoundingClientRect().height,
      overscan: 3,
      initialRect: { width: window.innerWidth, height: window.innerHeight },
      onChange: () => this.paint(),
    });
  }

  /**
   * A new list (or changed items): what was built is dropped, measured heights are kept by index; an item
   * not measured yet is placed at `estimate`'s height until it is.
   */
  reset(count: number, build: (index: number) => HTMLElement, estimate?: (index: number) => number): void {
    this.build = build;
    if (estimate) this.estimate = estimate;
    this.wrappers.clear();
    this.element.replaceChildren();
    this.virtualizer.setOptions({ ...this.virtualizer.options, count });
  }

  /** Builds these items again where they are in the page (their content came), keeping the focus on them. */
  rebuild(indexes: readonly number[]): void {
    let changed = false;
    for (const index of indexes) {
      const wrapper = this.wrappers.get(index);
      if (!wrapper) continue;
      const el = this.build(index);
      if (wrapper.firstElementChild === el) continue;
      const hadFocus = wrapper.contains(document.activeElement);
      wrapper.replaceChildren(el);
      if (hadFocus) el.focus({ preventScroll: true });
      changed = true;
    }
    if (changed) this.paint();
  }

  /** Called once the element is in the document (again), so its offset in the page is known. */
  attached(): void {
    if (!this.unmount) this.unmount = this.virtualizer._didMount();
    const margin = this.element.getBoundingClientRect().top + window.scrollY;
    this.virtualizer.setOptions({ ...this.virtualizer.options, scrollMargin: margin });
    this.virtualizer._willUpdate();
    this.paint();
  }

  /** Stops following the window's scroll and size. */
  dispose(): void {
    this.unmount?.();
    this.unmount = undefined;
  }

  /** Scrolls item `index` to the top and focuses it once it is built. */
  scrollToIndex(index: number, focus: boolean): void {
    if (focus) this.focusIndex = index;
    this.virtualizer.scrollToIndex(index, { align: 'start' });
    this.paint();
  }

  /** The built element of an item, when it is in the page. */
  itemElement(index: number): HTMLElement | undefined {
    return this.wrappers.get(index)?.firstElementChild as HTMLElement | undefined;
  }

  private wrapperFor(index: number): HTMLElement {
    let wrapper = this.wrappers.get(index);
    if (!wrapper) {
      wrapper = h('div', { className: 'lti-window-item', attrs: { 'data-index': String(index) } });
      wrapper.appendChild(this.build(index));
      this.wrappers.set(index, wrapper);
    }
    return wrapper;
  }

  private paint(): void {
    const items = this.virtualizer.getVirtualItems();
    const margin = this.virtualizer.options.scrollMargin;
    const want: HTMLElement[] = [];
    for (const item of items) {
      const wrapper = this.wrapperFor(item.index);
      wrapper.style.transform = `translateY(${item.start - margin}px)`;
      want.push(wrapper);
    }
    const keep = new Set(want);
    // An item kept on screen may still be moved below; the focus inside it is put back after.
    const active = document.activeElement;
    const holder = active instanceof HTMLElement && this.element.contains(active) ? active : undefined;
    for (const child of Array.from(this.element.children))
      if (!keep.has(child as HTMLElement)) child.remove();
    // Insert the new ones in order without moving the kept ones (moving would drop the focus inside).
    let prev: Element | null = null;
    for (const w of want) {
      const at: Element | null = prev ? prev.nextElementSibling : this.element.firstElementChild;
      if (at !== w) this.element.insertBefore(w, at);
      prev = w;
    }
    if (holder?.isConnected && document.activeElement !== holder) holder.focus({ preventScroll: true });
    for (const w of want) if (w.isConnected) this.virtualizer.measureElement(w);
    this.element.style.height = `${this.virtualizer.getTotalSize()}px`;
    if (this.focusIndex !== undefined) {
      const el = this.itemElement(this.focusIndex);
      if (el) {
        el.focus({ preventScroll: true });
        this.focusIndex = undefined;
      }
    }
  }
}
