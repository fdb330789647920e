// Reading JSON text without parsing it: what the receiver's limits and the question's fast path count.

/**
 * The index of the quote that closes the JSON string opening at `open` (a quote ends it unless an odd run
 * of backslashes escapes it), or -1 when the text ends inside it. Long strings (message content) are crossed
 * with indexOf, not character by character.
 */
export function endOfJsonString(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return -1;
    let b = q - 1;
    while (b > open && text.charCodeAt(b) === 0x5c) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}
