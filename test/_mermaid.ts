/**
 * A strict reader of the Mermaid flowchart subset PlatformDiagram writes: `flowchart LR`, subgraphs
 * with a quoted title, nodes `id["label"]`, edges `a -->|"label"| b` and `a -.->|"label"| b`. It
 * refuses everything else, so a diagram it reads is one GitHub's Mermaid renders: ids defined once,
 * edges only between defined nodes or subgraphs, labels quoted and free of characters Mermaid
 * reads as syntax (a raw `"`, a `#` that starts no entity code, a backtick).
 */
export interface Flowchart {
  /** Node id to label, `<br/>` turned into new lines and entity codes decoded. */
  readonly nodes: ReadonlyMap<string, string>;
  /** Subgraph id to title and member node ids. */
  readonly subgraphs: ReadonlyMap<string, { readonly title: string; readonly members: readonly string[] }>;
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly label: string; readonly dotted: boolean }>;
}

const ID = '[A-Za-z][A-Za-z0-9_]*';
/** A quoted label: no raw quote; `#` only in entity codes such as `#quot;` or `#35;`. */
const LABEL = '"((?:[^"#`]|#(?:[a-z]+|[0-9]+);)*)"';
const RESERVED = new Set(['end', 'subgraph', 'graph', 'flowchart', 'style', 'classDef', 'class', 'click', 'linkStyle', 'default', 'direction']);
const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>' };

function decode(label: string): string {
  return label.replace(/<br\/>/g, '\n').replace(/#([a-z]+|[0-9]+);/g, (_m, code: string) => ENTITIES[code] ?? String.fromCharCode(Number(code)));
}

export function parseFlowchart(text: string): Flowchart {
  const lines = text.split('\n');
  if (lines[0] !== 'flowchart LR') throw new Error(`line 1: expected 'flowchart LR', found '${lines[0]}'`);
  const nodes = new Map<string, string>();
  const subgraphs = new Map<string, { title: string; members: string[] }>();
  const edges: Array<{ from: string; to: string; label: string; dotted: boolean }> = [];
  const open: string[] = [];
  const define = (id: string, where: string): void => {
    if (RESERVED.has(id)) throw new Error(`${where}: '${id}' is a Mermaid keyword`);
    if (nodes.has(id) || subgraphs.has(id)) throw new Error(`${where}: '${id}' is defined twice`);
  };
  lines.slice(1).forEach((raw, i) => {
    const where = `line ${i + 2}`;
    const line = raw.trim();
    if (line === '' && i === lines.length - 2) return;
    let m: RegExpMatchArray | null;
    if ((m = line.match(new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`)))) {
      define(m[1], where);
      subgraphs.set(m[1], { title: decode(m[2]), members: [] });
      open.push(m[1]);
    } else if (line === 'end') {
      if (open.pop() === undefined) throw new Error(`${where}: 'end' without a subgraph`);
    } else if ((m = line.match(new RegExp(`^(${ID})\\[${LABEL}\\]$`)))) {
      define(m[1], where);
      nodes.set(m[1], decode(m[2]));
      if (open.length > 0) subgraphs.get(open[open.length - 1])!.members.push(m[1]);
    } else if ((m = line.match(new RegExp(`^(${ID}) (-->|-\\.->)\\|${LABEL}\\| (${ID})$`)))) {
      edges.push({ from: m[1], to: m[4], label: decode(m[3]), dotted: m[2] === '-.->' });
    } else {
      throw new Error(`${where}: not a subgraph, node or edge: '${line}'`);
    }
  });
  if (open.length > 0) throw new Error(`subgraph '${open[open.length - 1]}' is never closed`);
  for (const edge of edges) {
    for (const end of [edge.from, edge.to]) {
      if (!nodes.has(end) && !subgraphs.has(end)) throw new Error(`edge ${edge.from} -> ${edge.to}: '${end}' is not defined`);
    }
  }
  return { nodes, subgraphs, edges };
}

/** The Mermaid block of a Markdown text (exactly one). */
export function mermaidBlock(markdown: string): string {
  const blocks = [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length !== 1) throw new Error(`expected one mermaid block, found ${blocks.length}`);
  return blocks[0];
}
