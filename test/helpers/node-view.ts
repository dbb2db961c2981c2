// A placement NodeView for unit tests: a live, eligible node with priority 100, changed by `over`.
import type { NodeView } from "../../src/core/cluster/placement.js";

/** A live, eligible node named `name` with no claims, failures or groups, as placement sees it. */
export const nodeView = (name: string, over: Partial<NodeView> = {}): NodeView => ({
  name,
  alive: true,
  aliveSince: 0,
  silentFor: 0,
  witness: false,
  standby: false,
  priority: 100,
  failures: {},
  claims: [],
  running: [],
  ...over,
});
