// Operator commands and the cluster-wide admin state they change. Any node accepts a command; the
// leader applies it to the admin state it announces with its assignments, so the state survives a
// leader change (the next leader starts from the announcement it followed).
import { z } from "zod";
import { counter, wireName } from "./wire-names.js";

/** An operator command, as the API and CLI send it (and as it travels to the leader). Objects are not
 * strict: a field added by a newer minor protocol version is dropped, not refused. */
export const commandSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("standby"), node: wireName }),
  z.object({ kind: z.literal("online"), node: wireName }),
  z.object({ kind: z.literal("move"), group: wireName, node: wireName }),
  z.object({ kind: z.literal("cleanup"), group: wireName }),
  z.object({ kind: z.literal("maintenance"), on: z.boolean() }),
]);

/** An operator command. */
export type Command = z.infer<typeof commandSchema>;

/** The admin state every node follows, as the leader announces it. */
export const adminStateSchema = z.object({
  /** Nodes put in standby by an operator. */
  standby: z.array(wireName).max(512),
  /** Groups pinned to a node by `move` (a preference that outranks `prefer`). */
  moves: z.record(wireName, wireName),
  /** Per group, a counter bumped by `cleanup`: a node that sees it grow forgets its failures. */
  cleanups: z.record(wireName, counter),
  /** While true, no node starts or stops resources; monitoring and reporting go on. */
  maintenance: z.boolean(),
});

/** The admin state every node follows. */
export type AdminState = z.infer<typeof adminStateSchema>;

/** The state of a new cluster. */
export const EMPTY_ADMIN: AdminState = { standby: [], moves: {}, cleanups: {}, maintenance: false };

/** Applies a command; returns the new state and the sentence to log, or an error a user can act on. */
export function applyCommand(
  state: AdminState,
  cmd: Command,
  known: {
    nodes: readonly string[];
    runners: readonly string[];
    groups: readonly string[];
    clones?: readonly string[];
  },
): { ok: true; state: AdminState; reason: string } | { ok: false; error: string } {
  const needNode = (n: string) =>
    known.nodes.includes(n) ? undefined : `no node named "${n}" (nodes: ${known.nodes.join(", ")})`;
  const needGroup = (g: string) =>
    known.groups.includes(g) ? undefined : `no group named "${g}" (groups: ${known.groups.join(", ") || "none"})`;
  switch (cmd.kind) {
    case "standby": {
      const err = needNode(cmd.node);
      if (err) return { ok: false, error: err };
      return {
        ok: true,
        state: { ...state, standby: [...new Set([...state.standby, cmd.node])].sort() },
        reason: `${cmd.node} is put in standby by an operator`,
      };
    }
    case "online": {
      const err = needNode(cmd.node);
      if (err) return { ok: false, error: err };
      return {
        ok: true,
        state: { ...state, standby: state.standby.filter((n) => n !== cmd.node) },
        reason: `${cmd.node} is back online by an operator`,
      };
    }
    case "move": {
      const err =
        needGroup(cmd.group) ??
        needNode(cmd.node) ??
        (known.runners.includes(cmd.node) ? undefined : `${cmd.node} is a witness; it runs no groups`) ??
        (known.clones?.includes(cmd.group)
          ? `${cmd.group} is a clone: it runs on every eligible node and cannot be moved (use standby to stop it on a node)`
          : undefined);
      if (err) return { ok: false, error: err };
      return {
        ok: true,
        state: { ...state, moves: { ...state.moves, [cmd.group]: cmd.node } },
        reason: `${cmd.group} is moved to ${cmd.node} by an operator`,
      };
    }
    case "cleanup": {
      const err = needGroup(cmd.group);
      if (err) return { ok: false, error: err };
      return {
        ok: true,
        state: { ...state, cleanups: { ...state.cleanups, [cmd.group]: (state.cleanups[cmd.group] ?? 0) + 1 } },
        reason: `failures of ${cmd.group} are cleared by an operator`,
      };
    }
    case "maintenance":
      return {
        ok: true,
        state: { ...state, maintenance: cmd.on },
        reason: `maintenance ${cmd.on ? "on: vigil stops touching resources" : "off"} by an operator`,
      };
  }
}
