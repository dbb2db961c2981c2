import { TcpProxy } from "../src/balancer/tcp-proxy.js";
import { Balancer } from "../src/core/balancer/balancer.js";
import { parseEndpoint } from "../src/core/net/address.js";
const b = new Balancer({ scheduler: "wrr", quiescent: false, realServers: [{ address: "127.0.0.1:18080", weight: 1 }] });
const p = new TcpProxy({ listen: parseEndpoint("127.0.0.1:18082")!, connectTimeoutMs: 1000, retries: 2, idleTimeoutMs: 60000, proxyProtocol: "none", maxConnections: 20000 }, b, { connectFailed: () => {}, noServer: () => {} });
await p.listen();
console.log("listening");
