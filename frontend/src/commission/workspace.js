// Pure helpers of the commission's workspace (no DOM, no map: they run under node --test).

// What the commission may do next, by status (the agency runs the rest of the procedure).
const NEXT = {
  scheduled: ['open'],
  open: ['close'],
  closed: ['synthesis'],
};

/** The transitions the workspace offers for an inquiry in `status`. */
export function transitionsFor(status) {
  return NEXT[status] || [];
}

/** Rows of a bar chart: label, count and share of the largest count (0–100). */
export function barRows(rows, label) {
  const top = Math.max(0, ...rows.map((r) => r.count));
  return rows.map((r) => ({ label: label(r), count: r.count, share: top ? Math.round((100 * r.count) / top) : 0 }));
}
