/**
 * Quoting for log and terminal lines of text that comes from outside (a node id an xDS client
 * sends), for every stage, so it lives outside them.
 */

/**
 * `s` in double quotes, escaped as a JSON string (`\n`, `\"`, `\\`, `\u001b`…) and with DEL and the
 * C1 controls as `\uXXXX` too: a value from the network can neither start a forged log line nor
 * send escape sequences to a terminal. Plain names read as before: `"shop/web"`.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
