/**
 * The bytes of the addresses tcpdump prints: "a.b.c.d", or inet_ntop's IPv6 text ("::1", "2001:db8::1",
 * "::ffff:1.2.3.4"). Undefined for a name (printed without -n) or anything else that is no address.
 */

/** "a.b.c.d" as four bytes. */
export const ipv4Bytes = (host: string): number[] | undefined => {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!m) return undefined;
  const b = [m[1], m[2], m[3], m[4]].map(Number);
  return b.every((x) => x <= 255) ? b : undefined;
};

/** inet_ntop's text of an IPv6 address as sixteen bytes. */
export const ipv6Bytes = (host: string): number[] | undefined => {
  let text = host;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1] ?? '');
    if (b === undefined) return undefined;
    text = `${text.slice(0, v4.index)}:${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const back = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !back) return undefined;
  const fill = 8 - head.length - back.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...back].flatMap((g) => [(g >> 8) & 0xff, g & 0xff]);
};
