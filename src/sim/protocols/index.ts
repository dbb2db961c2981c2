// The protocols `npm run sim` can drive, by name.
import type { SimProtocol } from "../world.js";
import { clusterProtocol } from "./cluster.js";
import { clusterReloadProtocol } from "./cluster-reload.js";
import { ETCD_MUTANTS, etcdClusterProtocol, type EtcdMutant } from "./etcd-cluster.js";
import { gossipProtocol } from "./gossip.js";
import { MUTANTS, type Mutant } from "./mutants.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProtocol = SimProtocol<any, any, any, any>;

/** Named protocol factories; the first is the default. */
export const PROTOCOLS: Record<string, (nodes?: number) => AnyProtocol> = {
  cluster: (n) => clusterProtocol({ nodes: n ?? 3 }),
  "cluster-witness": (n) => clusterProtocol({ nodes: n ?? 3, witness: true, groups: 1 }),
  cluster5: (n) => clusterProtocol({ nodes: n ?? 5, groups: 3 }),
  "cluster-reload": (n) => clusterReloadProtocol({ nodes: n ?? 3 }),
  "two-node": () => clusterProtocol({ nodes: 2, groups: 2, twoNode: true }),
  "cluster-track": (n) => clusterProtocol({ nodes: n ?? 3, groups: 2, track: true }),
  "cluster-db": (n) => clusterProtocol({ nodes: n ?? 3, groups: 2, budgets: [1200, 0], promotable: true }),
  etcd: (n) => etcdClusterProtocol({ nodes: n ?? 3 }),
  gossip: (n) => gossipProtocol(n ?? 3),
  ...Object.fromEntries(
    MUTANTS.map((m: Mutant) => [`mutant-${m}`, (n?: number) => clusterProtocol({ nodes: n ?? 3, mutant: m })]),
  ),
  ...Object.fromEntries(
    ETCD_MUTANTS.map((m: EtcdMutant) => [
      `mutant-${m}`,
      (n?: number) => etcdClusterProtocol({ nodes: n ?? 3, mutant: m }),
    ]),
  ),
};
