// What the extension's webview pages share on the host side: their HTML (scripts and styles from the
// extension's own folders, a fresh nonce, the state of the first paint) and the two requests every page
// makes, to open a link from traced text and to copy a text.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { buildWebviewHtml, type WebviewHtmlInput } from './webviewHtml';

export interface PageSpec {
  /** The page's bundle in `dist/`. */
  script: string;
  /** Style sheets in `media/`. */
  styles: string[];
  initialState: WebviewHtmlInput['initialState'];
  title: string;
}

/**
 * Every panel's options: scripts on, nothing kept while hidden (a page is torn down and painted again from
 * its HTML), no command links, and only the extension's own folders readable.
 */
export function panelOptions(
  extensionUri: vscode.Uri,
  { find = true, folders = ['dist', 'media'] }: { find?: boolean; folders?: string[] } = {},
): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: find,
    retainContextWhenHidden: false,
    enableCommandUris: false,
    localResourceRoots: folders.map((f) => vscode.Uri.joinPath(extensionUri, f)),
  };
}

/**
 * Restores a panel after a window reload from the ids its page saved; a state that is not one (an older
 * version's, or damaged) closes the panel instead.
 */
export function registerPanelSerializer<T>(
  viewType: string,
  parse: (state: unknown) => T | undefined,
  attach: (panel: vscode.WebviewPanel, target: T) => void,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(viewType, {
    deserializeWebviewPanel: async (panel, state: unknown) => {
      const target = parse(state);
      if (target === undefined) panel.dispose();
      else attach(panel, target);
    },
  });
}

export function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, spec: PageSpec): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  const uri = (base: vscode.Uri, ...path: string[]) =>
    webview.asWebviewUri(vscode.Uri.joinPath(base, ...path)).toString();
  return buildWebviewHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(18).toString('base64url'),
    scriptUri: uri(dist, spec.script),
    styleUris: spec.styles.map((s) => uri(media, s)),
    codiconsUri: uri(dist, 'codicons', 'codicon.css'),
    initialState: spec.initialState,
    title: spec.title,
  });
}

/** Only plain web and mail links leave the webview; `command:`, `file:`, `vscode:` and the like never do. */
export function safeExternalUri(href: string): vscode.Uri | undefined {
  try {
    const uri = vscode.Uri.parse(href, true);
    return ['http', 'https', 'mailto'].includes(uri.scheme) ? uri : undefined;
  } catch {
    return undefined;
  }
}

/** Opens a link a page was asked to follow, or says why it will not. */
export async function openTracedLink(href: string): Promise<void> {
  const uri = safeExternalUri(href);
  if (!uri) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Links in traced messages open only when they are http, https or mailto links.'),
    );
    return;
  }
  await vscode.env.openExternal(uri);
}

export async function copyText(text: string, what: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', what), 2500);
}
