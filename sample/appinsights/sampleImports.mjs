// Module resolution hooks for the capture's child process. The app's turns come from ../scenarios.mjs,
// shared with the OTLP capture, and it imports `@opentelemetry/api` by bare name: Node would look for
// it in sample/node_modules. These hooks resolve the bare imports of the shared modules in sample/
// from this folder instead, so `npm ci` here is all the capture needs, and the app, the instrumentation
// libraries and the Azure Monitor exporter use one and the same `@opentelemetry/api`.
import { register } from 'node:module';

const HERE = new URL('./', import.meta.url).href;
const SAMPLE = new URL('../', import.meta.url).href;
/** A bare specifier: neither relative, absolute nor a URL (`node:`, `file:`, ...). */
const BARE = /^(?![./]|[a-zA-Z][a-zA-Z\d+.-]*:)/;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? '';
  const shared = parent.startsWith(SAMPLE) && !parent.startsWith(HERE) && !parent.includes('/node_modules/');
  if (shared && BARE.test(specifier)) {
    return nextResolve(specifier, { ...context, parentURL: new URL('package.json', HERE).href });
  }
  return nextResolve(specifier, context);
}

/** Installs the hooks; call it before the shared modules are first imported. */
export function registerSampleImports() {
  register(import.meta.url);
}
