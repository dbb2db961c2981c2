// Prints an import result as vigil.yaml with the yaml package's Document API: a header, the config
// with comments beside (or above) the keys they concern, and the list of what was not imported.
import { Document, isCollection, isMap, isScalar, isSeq, type Node as YamlNode, type Pair } from "yaml";
import type { KeyPath } from "../core/config/issues.js";
import { type ImportResult, where } from "../core/import/types.js";

/** Lists whose items print on one line each (`- { type: vip, ... }`). */
const FLOW_ITEMS = new Set(["resources", "track", "real_servers", "links"]);
/** Lists printed inline (`prefer: [h1, h2]`). */
const FLOW_LISTS = new Set(["prefer", "args", "expect_status", "links"]);
const WIDTH = 100;

/** The YAML text of `result`. */
export function renderImport(result: ImportResult): string {
  const doc = new Document(result.config);
  styleFlow(doc.contents as YamlNode, undefined);
  for (const c of result.comments) attach(doc, c.path, c.text);
  doc.commentBefore = result.header.map((l) => ` ${l}`).join("\n");
  if (result.notes.length > 0) {
    const notes = [...result.notes].sort((a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line);
    const lines = [` Not imported (${notes.length}):`];
    for (const n of notes)
      lines.push(...wrap(`${where(n.at)}: ${n.text}`, WIDTH - 6).map((l, i) => `${i === 0 ? "   " : "       "}${l}`));
    doc.comment = lines.join("\n");
  }
  return doc.toString({ lineWidth: 0 });
}

function styleFlow(node: YamlNode | null, key: string | undefined): void {
  if (isSeq(node)) {
    if (key && FLOW_LISTS.has(key) && node.items.every((i) => isScalar(i))) node.flow = true;
    for (const item of node.items) {
      if (
        key &&
        FLOW_ITEMS.has(key) &&
        isMap(item) &&
        item.items.every((p) => !isCollection(p.value) || FLOW_LISTS.has(keyOf(p)))
      )
        item.flow = true;
      styleFlow(item as YamlNode, undefined);
    }
  } else if (isMap(node)) {
    for (const pair of node.items) styleFlow(pair.value as YamlNode, keyOf(pair));
  }
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : "";
}

/** Puts `text` beside the node at `path`: inline after a scalar or one-line item, above anything
 * longer. A path inside a one-line item comments the item. */
function attach(doc: Document, path: KeyPath, text: string): void {
  let node: unknown = doc.contents;
  let holder: { node: YamlNode; pair?: Pair } | undefined;
  for (const part of path) {
    if (isMap(node) && !node.flow) {
      const pair = node.items.find((p) => keyOf(p) === part);
      if (!pair) break;
      holder = { node: pair.value as YamlNode, pair };
      node = pair.value;
    } else if (isSeq(node) && !node.flow && typeof part === "number") {
      const item = node.items[part] as YamlNode | undefined;
      if (!item) break;
      holder = { node: item };
      node = item;
    } else break;
  }
  if (!holder) {
    doc.commentBefore = `${doc.commentBefore ?? ""}\n${wrap(text, WIDTH)
      .map((l) => ` ${l}`)
      .join("\n")}`;
    return;
  }
  const target = holder.node;
  const oneLine = isScalar(target) || (isCollection(target) && target.flow === true);
  if (oneLine && text.length <= 60 && !target.comment) {
    target.comment = ` ${text}`;
    return;
  }
  const above = (holder.pair?.key as YamlNode | undefined) ?? target;
  const lines = wrap(text, WIDTH - 2).map((l) => ` ${l}`);
  above.commentBefore = above.commentBefore ? `${above.commentBefore}\n${lines.join("\n")}` : lines.join("\n");
}

/** Breaks text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (const word of text.split(" ")) {
    if (cur !== "" && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur === "" ? word : `${cur} ${word}`;
  }
  if (cur !== "") lines.push(cur);
  return lines;
}
