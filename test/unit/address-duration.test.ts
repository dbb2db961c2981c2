import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../../src/core/config/duration.js";
import { parseCidr, parseEndpoint, parseIp, parseNodeAddress } from "../../src/core/net/address.js";

describe("durations", () => {
  it("parses the forms operators write", () => {
    assert.equal(parseDuration("50ms"), 50);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h"), 3_600_000);
  });
  it("rejects numbers without a unit and unknown units", () => {
    for (const bad of ["50", "5 days", "ms", "-1s", "1.5.2s"]) assert.equal(parseDuration(bad), undefined, bad);
  });
  it("formats back in the shortest exact unit", () => {
    assert.deepEqual([25, 1500, 120_000].map(formatDuration), ["25ms", "1.5s", "2m"]);
  });
});

describe("addresses", () => {
  it("parses IPv4 and IPv6, rejecting near misses", () => {
    assert.equal(parseIp("10.77.0.11")?.family, 4);
    assert.equal(parseIp("fd00::1")?.family, 6);
    assert.equal(parseIp("::ffff:10.0.0.1")?.family, 6);
    for (const bad of ["10.77.0.300", "10.77.0", "01.2.3.4", "fd00:::1", "1:2:3:4:5:6:7:8:9", "host"])
      assert.equal(parseIp(bad), undefined, bad);
  });
  it("parses endpoints, CIDRs and node addresses", () => {
    assert.deepEqual(parseEndpoint("10.77.0.21:3306"), { ip: { family: 4, text: "10.77.0.21" }, port: 3306 });
    assert.equal(parseEndpoint("[::1]:80")?.port, 80);
    assert.equal(parseEndpoint("10.0.0.1:70000"), undefined);
    assert.equal(parseCidr("10.77.0.100/24")?.prefix, 24);
    assert.equal(parseCidr("10.77.0.100/33"), undefined);
    assert.equal(parseNodeAddress("10.0.0.1", 5405)?.port, 5405);
    assert.equal(parseNodeAddress("127.0.0.1:7001", 5405)?.port, 7001);
  });
});
