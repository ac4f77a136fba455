// The lineage of derived properties drawn as a graph (SVG, no library): venue properties on the
// left, each derived property one column right of its deepest input, an arrow from every input
// to what it feeds. Choosing a property highlights everything it is derived from and everything
// derived from it, however far.
import { esc } from "./util.js";

const box = { w: 150, h: 22, gapX: 70, gapY: 8, pad: 6 };

/** Every name `start` reaches through `next` (not `start` itself). */
function reach(start, next) {
  const seen = new Set(), todo = [start];
  while (todo.length) {
    for (const n of next(todo.pop()) ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      todo.push(n);
    }
  }
  return seen;
}

/**
 * Draws the graph of `properties` (definitions with `derivedFrom`) into `container`;
 * `selected` is highlighted; clicking a node calls `onPick(name)`.
 */
export function drawLineage(container, properties, { selected, onPick }) {
  const inputs = new Map(properties.filter((p) => p.derivedFrom?.length).map((p) => [p.name, p.derivedFrom]));
  if (!inputs.size) {
    container.innerHTML = '<p class="note">No derived properties.</p>';
    return;
  }
  const feeds = new Map();
  for (const [name, from] of inputs) for (const i of from) feeds.set(i, [...(feeds.get(i) ?? []), name]);
  // Depth: 0 for a venue property, 1 + the deepest input for a derived one (the registry refuses loops).
  const depth = new Map();
  const depthOf = (n) => {
    if (!depth.has(n)) depth.set(n, inputs.has(n) ? 1 + Math.max(...inputs.get(n).map(depthOf)) : 0);
    return depth.get(n);
  };
  for (const n of [...inputs.keys(), ...feeds.keys()]) depthOf(n);
  const columns = [];
  for (const [n, d] of depth) (columns[d] ??= []).push(n);
  // Venue properties by name; each derived column by the mean row of its inputs, which keeps
  // edges short and crossings few.
  const row = new Map();
  columns.forEach((c, x) => {
    const mean = (n) => (x === 0 ? 0 : inputs.get(n).reduce((sum, i) => sum + row.get(i), 0) / inputs.get(n).length);
    c.sort((a, b) => mean(a) - mean(b) || a.localeCompare(b));
    c.forEach((n, y) => row.set(n, y));
  });
  const at = new Map();
  columns.forEach((c, x) => c.forEach((n, y) => at.set(n, { x: box.pad + x * (box.w + box.gapX), y: box.pad + y * (box.h + box.gapY) })));
  const width = box.pad * 2 + columns.length * box.w + (columns.length - 1) * box.gapX;
  const height = box.pad * 2 + Math.max(...columns.map((c) => c.length)) * (box.h + box.gapY);

  const related = selected ? new Set([selected, ...reach(selected, (n) => inputs.get(n)), ...reach(selected, (n) => feeds.get(n))]) : null;
  const lit = (a, b) => !related || (related.has(a) && related.has(b));
  const edges = [...inputs].flatMap(([to, from]) =>
    from.map((f) => {
      const a = at.get(f), b = at.get(to);
      const x1 = a.x + box.w, y1 = a.y + box.h / 2, x2 = b.x - 4, y2 = b.y + box.h / 2, mid = (x1 + x2) / 2;
      return `<path d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" class="lg-edge${lit(f, to) ? (related ? " lit" : "") : " faded"}" marker-end="url(#lg-arrow)" data-from="${esc(f)}" data-to="${esc(to)}"/>`;
    }),
  );
  const nodes = [...at].map(([n, p]) => {
    const cls = ["lg-node", inputs.has(n) ? "derived" : "input", n === selected ? "selected" : "", related && !related.has(n) ? "faded" : ""].join(" ");
    return `<g class="${cls}" data-name="${esc(n)}" transform="translate(${p.x},${p.y})"><title>${esc(inputs.has(n) ? `${n} ← ${inputs.get(n).join(", ")}` : n)}</title>
      <rect width="${box.w}" height="${box.h}" rx="5"/><text x="8" y="15">${esc(n)}</text></g>`;
  });
  container.innerHTML = `<svg class="lineage" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="lineage of derived properties">
    <defs><marker id="lg-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>
    ${edges.join("")}${nodes.join("")}</svg>`;
  for (const g of container.querySelectorAll(".lg-node")) g.onclick = () => onPick(g.dataset.name);
}
