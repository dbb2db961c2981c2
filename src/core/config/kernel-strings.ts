// Config strings that become process arguments, environment values or paths, held to what the kernel
// takes: no NUL byte (execve would cut or refuse the string), no argument over MAX_ARG_STRLEN, no
// command line over a safe part of ARG_MAX, no path over PATH_MAX. Each is a located config error.
import { z } from "zod";
import { MAX_ARG_BYTES, MAX_ARGS_TOTAL_BYTES, MAX_PATH_BYTES } from "./limits.js";

const encoder = new TextEncoder();

/** Bytes of `s` in UTF-8. */
export function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

/** Why `s` cannot be passed to a process as one string (`what` names it), or undefined when it can. */
export function kernelStringProblem(s: string, what: string, maxBytes = MAX_ARG_BYTES - 1): string | undefined {
  const nul = s.indexOf("\0");
  if (nul >= 0) return `${what} contains a NUL byte (at character ${nul}); a process cannot be given one`;
  const bytes = utf8Bytes(s);
  if (bytes > maxBytes) return `${what} is ${bytes} bytes; the kernel takes at most ${maxBytes}`;
  return undefined;
}

/** A string passed to a process as one argument. */
export const argString = z.string({ error: "expected a string argument" }).superRefine((s, ctx) => {
  const problem = kernelStringProblem(s, "the argument");
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** A list of arguments, each an argString, together at most MAX_ARGS_TOTAL_BYTES. */
export const argList = z.array(argString).superRefine((args, ctx) => {
  const total = args.reduce((n, a) => n + (typeof a === "string" ? utf8Bytes(a) + 1 : 0), 0);
  if (total > MAX_ARGS_TOTAL_BYTES)
    ctx.addIssue({
      code: "custom",
      message: `the arguments take ${total} bytes together; at most ${MAX_ARGS_TOTAL_BYTES} are allowed (the kernel's ARG_MAX also holds the environment)`,
    });
});

/** An absolute path without NUL bytes, at most PATH_MAX. */
export const absolutePath = z
  .string({ error: "expected an absolute path" })
  .regex(/^\//, { error: "expected an absolute path (starting with /)" })
  .superRefine((s, ctx) => {
    const problem = kernelStringProblem(s, "the path", MAX_PATH_BYTES);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
