// When a panel's page needs the state posted. The page paints first from the state in its HTML and says
// `ready` once it listens; a message before that would reach no listener. A page that is hidden is torn down
// (no retained context) and loads that same HTML again when shown, so the host posts on `ready` only when
// the state changed since the HTML was built, and builds nothing for a hidden page, which would drop the
// message anyway. Pure, so the rule is tested without an editor.

export class PanelSync {
  private changedSinceHtml = false;
  private pageListening = false;

  /** The HTML was (re)built from the current state: its page does not listen until it says `ready`. */
  htmlBuilt(): void {
    this.changedSinceHtml = false;
    this.pageListening = false;
  }

  /** The panel's state changed; whether to build and post it now (only a visible page that listens). */
  changed(visible: boolean): boolean {
    this.changedSinceHtml = true;
    return visible && this.pageListening;
  }

  /** The page loaded and said `ready`: whether its HTML's state is stale and the current one must follow. */
  ready(): boolean {
    this.pageListening = true;
    return this.changedSinceHtml;
  }
}
