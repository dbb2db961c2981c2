// One HTTP request from inside a namespace (`ip netns exec`): prints the status code and the body.
// Usage: node get.mjs URL [POST TOKEN]
const [url, method = "GET", token] = process.argv.slice(2);
const res = await fetch(url, {
  method,
  headers: token ? { authorization: `Bearer ${token}` } : {},
  signal: AbortSignal.timeout(5000),
}).catch(() => undefined);
process.stdout.write(res ? `${res.status}\n${await res.text()}` : "0\n");
