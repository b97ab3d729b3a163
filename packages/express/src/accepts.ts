interface Range {
  type: string;
  subtype: string;
  q: number;
  /** Position in the header: the earlier of two equal ranges wins. */
  order: number;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  header.split(",").forEach((part, order) => {
    const [mediaRange = "", ...params] = part.split(";");
    const [type = "", subtype = ""] = mediaRange.trim().toLowerCase().split("/");
    if (!type || !subtype) return;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((s) => s.trim());
      if (name?.toLowerCase() === "q") q = Number.isFinite(Number(value)) ? Number(value) : 0;
    }
    ranges.push({ type, subtype, q, order });
  });
  return ranges;
}

/**
 * Which of `candidates` (full media types, in the server's order of preference) the `Accept` header
 * prefers, as Express's `req.accepts` answers: each candidate takes the quality of its most specific
 * matching range; the highest quality wins, then the more specific match, then the range listed first,
 * then the server's order. No header: the first candidate. Nothing acceptable: null.
 */
export function preferredType(header: string | undefined, candidates: readonly string[]): string | null {
  if (!header) return candidates[0] ?? null;
  const ranges = parseAccept(header);
  let best: { type: string; q: number; s: number; order: number; index: number } | null = null;
  candidates.forEach((candidate, index) => {
    const [type, subtype] = candidate.split("/");
    let match: { q: number; s: number; order: number } | null = null;
    for (const range of ranges) {
      const s =
        (range.type === type ? 2 : range.type === "*" ? 0 : -1) +
        (range.subtype === subtype ? 1 : range.subtype === "*" ? 0 : -10);
      if (s < 0) continue;
      if (
        !match ||
        s > match.s ||
        (s === match.s && (range.q > match.q || (range.q === match.q && range.order < match.order)))
      )
        match = { q: range.q, s, order: range.order };
    }
    if (!match || match.q <= 0) return;
    const better =
      !best ||
      match.q > best.q ||
      (match.q === best.q && (match.s > best.s || (match.s === best.s && match.order < best.order)));
    if (better) best = { type: candidate, ...match, index };
  });
  return (best as { type: string } | null)?.type ?? null;
}
