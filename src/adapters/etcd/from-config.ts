// The etcd client a node uses, built from `cluster.etcd`: the TLS files are read here, once, and a file
// that cannot be read is an error naming its key.
import { readFileSync } from "node:fs";
import { etcdAttemptMs } from "../../core/etcd/coord-spec.js";
import type { EtcdConfig } from "../../core/config/etcd-schema.js";
import { EtcdClient } from "./client.js";
import type { EtcdTls } from "./transport.js";

/** Reads `cluster.etcd`'s TLS files; throws an Error naming the key and the file it could not read. */
export function readEtcdTls(e: EtcdConfig): EtcdTls | undefined {
  const read = (key: "ca_file" | "cert_file" | "key_file"): Buffer | undefined => {
    const file = e[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cluster.etcd.${key}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const tls = { ca: read("ca_file"), cert: read("cert_file"), key: read("key_file") };
  return tls.ca || tls.cert || tls.key ? tls : undefined;
}

/** A client of the configured etcd endpoints, with a request time limit of ttl / 3 (at most 1s). */
export function etcdClientFromConfig(e: EtcdConfig): EtcdClient {
  return new EtcdClient({ endpoints: e.endpoints, tls: readEtcdTls(e), requestTimeoutMs: etcdAttemptMs(e) });
}
