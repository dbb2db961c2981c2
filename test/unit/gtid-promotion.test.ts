import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareGtid,
  formatGtidPos,
  holds,
  parseGtidPos,
  transactionsBehind,
  type GtidPos,
} from "../../src/core/db/gtid.js";
import { explainPromotion } from "../../src/core/db/explain.js";
import { decidePromotion, completeReplicas } from "../../src/core/db/promotion.js";

const p = (text: string): GtidPos => {
  const r = parseGtidPos(text);
  assert.ok(r, `not a position: ${text}`);
  return r;
};

describe("GTID positions", () => {
  it("parse and format as MariaDB prints them, domains in order", () => {
    assert.equal(formatGtidPos(p("1-2-5,0-1-100")), "0-1-100,1-2-5");
    assert.equal(formatGtidPos(p("")), "");
    assert.equal(parseGtidPos("0-1"), undefined);
    assert.equal(parseGtidPos("0-1-x"), undefined);
  });

  it("compare per domain by seq_no", () => {
    assert.equal(compareGtid(p("0-1-10"), p("0-1-10")).kind, "equal");
    assert.equal(compareGtid(p("0-1-11"), p("0-1-10")).kind, "ahead");
    assert.equal(compareGtid(p("0-1-9"), p("0-1-10")).kind, "behind");
    assert.equal(compareGtid(p("0-1-10,1-3-4"), p("0-1-10")).kind, "ahead");
    assert.equal(compareGtid(p(""), p("0-1-1")).kind, "behind");
    // a newer primary (server 2) continued the domain: seq_no still orders
    assert.equal(compareGtid(p("0-2-12"), p("0-1-10")).kind, "ahead");
    assert.ok(holds(p("0-2-12"), p("0-1-10")));
    assert.equal(transactionsBehind(p("0-1-7"), p("0-2-10,1-1-2")), 5);
  });

  it("find divergence: one seq_no from two servers, or ahead in one domain and behind in another", () => {
    const d1 = compareGtid(p("0-1-10"), p("0-2-10"));
    assert.equal(d1.kind, "divergent");
    assert.match(
      d1.kind === "divergent" ? d1.reason : "",
      /seq_no 10 was written by server 1 on one side and server 2/,
    );
    assert.equal(compareGtid(p("0-1-10,1-1-3"), p("0-1-11,1-1-2")).kind, "divergent");
    assert.equal(holds(p("0-1-10"), p("0-2-10")), false);
  });
});

describe("promotion decision", () => {
  const heard = (node: string, received: string) => ({
    node,
    heard: true as const,
    received: p(received),
    primary: false,
  });

  it("promotes a candidate that holds every replica's received set; the old primary's tail is not owed", () => {
    const d = decidePromotion({
      candidate: "h2",
      candidateReceived: p("0-1-100"),
      others: [heard("h3", "0-1-99"), { node: "h1", heard: false, why: "connection refused" }],
      oldPrimary: "h1",
    });
    assert.equal(d.kind, "promote");
    assert.match(
      d.reason,
      /h2 holds every replica's transactions \(0-1-100; 1 replica compared; old primary h1 not owed\)/,
    );
  });

  it("owes what a heard old primary replicated from an earlier primary, not what it wrote itself", () => {
    // h3 was promoted at 0-1-363 (h1's commits it had acknowledged as a replica), wrote 0-3-364 itself and
    // failed before h2 fetched 361..363 from it: h2 must get them from h3 first.
    const old = { node: "h3", heard: true as const, received: p("0-3-364"), primary: false, replicated: p("0-1-363") };
    const d = decidePromotion({ candidate: "h2", candidateReceived: p("0-1-360"), others: [old], oldPrimary: "h3" });
    assert.equal(d.kind, "catch-up");
    if (d.kind === "catch-up") assert.deepEqual([d.from, formatGtidPos(d.target)], ["h3", "0-1-363"]);
    const done = decidePromotion({ candidate: "h2", candidateReceived: p("0-1-363"), others: [old], oldPrimary: "h3" });
    assert.equal(done.kind, "promote");
    assert.match(done.reason, /old primary h3: only what it replicated is owed/);
  });

  it("waits for an unheard old primary while the candidate lacks what it had replicated before its promotion", () => {
    const input = {
      candidate: "h2",
      candidateReceived: p("0-1-360"),
      others: [{ node: "h3", heard: false as const, why: "connect ECONNREFUSED" }],
      oldPrimary: "h3",
      oldPrimaryOwed: p("0-1-363"),
    };
    const d = decidePromotion(input);
    assert.equal(d.kind, "wait");
    assert.match(
      d.reason,
      /waiting for h3 \(connect ECONNREFUSED; h2 has not yet received what it replicated before it became primary \(0-1-363\)\)/,
    );
    assert.equal(decidePromotion({ ...input, force: true }).kind, "promote");
    assert.equal(decidePromotion({ ...input, candidateReceived: p("0-3-364") }).kind, "promote");
    assert.equal(decidePromotion({ ...input, oldPrimaryOwed: undefined }).kind, "promote");
  });

  it("catches up from the fullest replica first", () => {
    const d = decidePromotion({
      candidate: "h2",
      candidateReceived: p("0-1-98"),
      others: [heard("h3", "0-1-100"), heard("h4", "0-1-99")],
      oldPrimary: "h1",
    });
    assert.equal(d.kind, "catch-up");
    if (d.kind !== "catch-up") return;
    assert.equal(d.from, "h3");
    assert.equal(formatGtidPos(d.target), "0-1-100");
    assert.match(d.reason, /h3 received more \(0-1-100 against 0-1-98\); h2 catches up from it first/);
  });

  it("waits, saying why, while a replica that may hold the newest commit is unheard; a force goes on", () => {
    const input = {
      candidate: "h2",
      candidateReceived: p("0-1-100"),
      others: [{ node: "h3", heard: false as const, why: "timed out" }],
      oldPrimary: "h1",
    };
    const d = decidePromotion(input);
    assert.equal(d.kind, "wait");
    assert.match(d.reason, /waiting for h3 \(timed out\): it may hold the newest acknowledged commit/);
    const forced = decidePromotion({ ...input, force: true });
    assert.equal(forced.kind, "promote");
    assert.match(forced.reason, /forced past unheard h3/);
  });

  it("refuses divergent sets and never merges them, even when forced", () => {
    const d = decidePromotion({
      candidate: "h2",
      candidateReceived: p("0-1-100"),
      others: [heard("h3", "0-3-100")],
      force: true,
    });
    assert.equal(d.kind, "refuse");
    assert.match(d.reason, /h2 and h3 have diverged .*resolve by hand/);
    const between = decidePromotion({
      candidate: "h2",
      candidateReceived: p("0-1-90"),
      others: [heard("h3", "0-1-100"), heard("h4", "0-4-100")],
    });
    assert.equal(between.kind, "refuse");
    assert.match(between.reason, /h3 and h4 have diverged/);
  });

  it("lists who is complete (could be promoted without a catch-up)", () => {
    assert.deepEqual(
      completeReplicas([
        { node: "h1", received: p("0-1-5") },
        { node: "h2", received: p("0-1-7") },
        { node: "h3", received: p("0-1-7") },
      ]),
      ["h2", "h3"],
    );
  });
});

describe("vigil db explain", () => {
  const heard = (node: string, received: string) => ({
    node,
    heard: true as const,
    received: p(received),
    primary: false,
  });

  it("names the next primary in placement order, why, and what the primary's tail is", () => {
    const e = explainPromotion({
      group: "db",
      primary: "h1",
      order: ["h1", "h2", "h3"],
      reports: [heard("h1", "0-1-12"), heard("h2", "0-1-10"), heard("h3", "0-1-11")],
    });
    assert.equal(e.candidate, "h2");
    assert.equal(e.decision?.kind, "catch-up");
    assert.equal(e.losesNothing, true);
    assert.deepEqual(e.lines, [
      "db runs on h1 at 0-1-12",
      "  h2: received 0-1-10, 2 transaction(s) behind the primary",
      "  h3: received 0-1-11, 1 transaction(s) behind the primary",
      "h2 would catch up from h3, then be promoted: h3 received more (0-1-11 against 0-1-10); h2 catches up from it first",
      "the primary's last 1 transaction(s) are on no replica: under semi_sync strict none of them was acknowledged to a client (they are rolled back when the primary rejoins)",
    ]);
  });

  it("skips ineligible and silent nodes, and says when nothing could be promoted", () => {
    const e = explainPromotion({
      group: "db",
      primary: "h1",
      order: ["h2", "h3"],
      reports: [heard("h1", "0-1-5"), { node: "h2", heard: false, why: "connection refused" }, heard("h3", "0-1-5")],
      ineligible: { h3: "in standby" },
    });
    assert.equal(e.candidate, undefined);
    assert.equal(e.losesNothing, false);
    assert.ok(e.lines.includes("h2 is skipped: its server does not answer (connection refused)"));
    assert.ok(e.lines.includes("h3 is skipped: in standby"));
    assert.equal(e.lines.at(-1), "no node could be promoted now");
  });
});
