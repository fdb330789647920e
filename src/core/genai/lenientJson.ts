// Content attributes are often cut upstream (the Azure Monitor exporter cuts values at 8 KB or 256 KB, some
// SDKs at a length limit), which leaves invalid JSON that still holds readable messages. This parser reads
// a JSON text as far as it is well formed and returns what it got, with a flag saying it stopped early, so
// the view can show the messages before the cut instead of nothing. One pass, linear in the text.

export interface LenientJson {
  value: unknown;
  /** False when the text was cut or malformed and `value` is what could be read before that point. */
  complete: boolean;
}

/** A value that could not be read at all (cut inside a number, a literal, a key). */
const NONE: unique symbol = Symbol('none');
type Parsed = unknown | typeof NONE;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses `text` strictly when it is valid JSON, else reads the longest well-formed prefix. Returns
 * undefined when nothing could be read.
 */
export function parseJsonLenient(text: string): LenientJson | undefined {
  try {
    return { value: JSON.parse(text) as unknown, complete: true };
  } catch {
    // fall through to the partial reader
  }
  try {
    const parser = new PartialParser(text);
    const value = parser.value();
    if (value === NONE) return undefined;
    return { value, complete: false };
  } catch {
    // Nesting deep enough to overflow the stack: treat it as unreadable rather than let it escape.
    return undefined;
  }
}

class PartialParser {
  private i = 0;
  /** Set at the first point the text stops being well-formed JSON; every level then unwinds. */
  private stopped = false;

  constructor(private readonly s: string) {}

  value(): Parsed {
    this.ws();
    if (this.i >= this.s.length) return this.stop();
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 0x7b /* { */:
        return this.object();
      case 0x5b /* [ */:
        return this.array();
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.stop();
    }
  }

  private object(): Parsed {
    this.i++;
    const out: Record<string, unknown> = {};
    let first = true;
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) return this.stopWith(out);
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      if (!first) {
        if (this.s[this.i] !== ',') return this.stopWith(out);
        this.i++;
        this.ws();
      }
      first = false;
      if (this.s[this.i] !== '"') return this.stopWith(out);
      const key = this.string();
      if (this.stopped || typeof key !== 'string') return out;
      this.ws();
      if (this.s[this.i] !== ':') return this.stopWith(out);
      this.i++;
      const v = this.value();
      if (v !== NONE) out[key] = v;
      if (this.stopped) return out;
    }
  }

  private array(): Parsed {
    this.i++;
    const out: unknown[] = [];
    let first = true;
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) return this.stopWith(out);
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      if (!first) {
        if (this.s[this.i] !== ',') return this.stopWith(out);
        this.i++;
      }
      first = false;
      const v = this.value();
      if (v !== NONE) out.push(v);
      if (this.stopped) return out;
    }
  }

  /** Returns the text read so far when the string is cut: a cut message still shows its beginning. */
  private string(): Parsed {
    const s = this.s;
    let i = this.i + 1;
    let chunkStart = i;
    let out = '';
    // The next quote is remembered across escapes: searching for it again after each `\n` would make a
    // long text with many escapes quadratic.
    let q = -2;
    let b = -2;
    for (;;) {
      if (q !== -1 && q < i) q = s.indexOf('"', i);
      if (b !== -1 && b < i) b = s.indexOf('\\', i);
      if (q < 0 && b < 0) {
        this.i = s.length;
        return this.stopWith(out + s.slice(chunkStart));
      }
      if (q >= 0 && (b < 0 || q < b)) {
        this.i = q + 1;
        return out + s.slice(chunkStart, q);
      }
      out += s.slice(chunkStart, b);
      const e = s[b + 1];
      if (e === undefined) {
        this.i = s.length;
        return this.stopWith(out);
      }
      if (e === 'u') {
        const hex = s.slice(b + 2, b + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.i = s.length;
          return this.stopWith(out);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i = b + 6;
      } else {
        const mapped = ESCAPES[e];
        if (mapped === undefined) {
          this.i = b;
          return this.stopWith(out);
        }
        out += mapped;
        i = b + 2;
      }
      chunkStart = i;
    }
  }

  private number(): Parsed {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.stop();
    const end = this.i + m[0].length;
    // A number running to the very end may have lost digits to the cut: it is not worth showing wrong.
    if (end >= this.s.length) return this.stop();
    this.i = end;
    return Number(m[0]);
  }

  private literal(word: string, value: boolean | null): Parsed {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return value;
    }
    return this.stop();
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  private stop(): typeof NONE {
    this.stopped = true;
    return NONE;
  }

  private stopWith<T>(partial: T): T {
    this.stopped = true;
    return partial;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
