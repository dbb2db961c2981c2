// Rise/fall health of one real server, as keepalived and HAProxy decide it: only a run of consecutive
// results against the current state changes it, and only changes are reported.

/** How many results in a row change a server's health. */
export interface HealthRules {
  /** Consecutive successes that bring a down server up. */
  rise: number;
  /** Consecutive failures that take an up server down. */
  fall: number;
}

/** What rise/fall knows about one server. */
export interface HealthState {
  /** Current verdict; a server starts up. */
  up: boolean;
  /** Whether any check result has been seen yet. */
  checked: boolean;
  /** Consecutive results that disagree with `up` (failures while up, successes while down). */
  streak: number;
}

/** A change of health and the one line that explains it (what gets logged). */
export interface HealthTransition {
  up: boolean;
  /** E.g. `10.0.0.1:80 down: connection refused (3 failed checks in a row)`. */
  reason: string;
}

/** The state of a server nobody has checked yet: up, so a new virtual server takes traffic at once. */
export function initialHealth(): HealthState {
  return { up: true, checked: false, streak: 0 };
}

/**
 * Folds one check result into `state`. The first result decides at once, as HAProxy does: a first
 * failure marks the (initially up) server down immediately, a first success confirms it up without a
 * transition. After that `fall` consecutive failures take an up server down and `rise` consecutive
 * successes bring a down server up; a result that agrees with the current state resets the streak.
 */
export function applyCheck(
  state: HealthState,
  result: { ok: boolean; detail: string },
  rules: HealthRules,
  address: string,
): { state: HealthState; transition?: HealthTransition } {
  if (!state.checked) {
    if (result.ok) return { state: { up: true, checked: true, streak: 0 } };
    return {
      state: { up: false, checked: true, streak: 0 },
      transition: { up: false, reason: `${address} down: ${result.detail} (first check)` },
    };
  }
  if (result.ok === state.up) return { state: { ...state, streak: 0 } };
  const streak = state.streak + 1;
  const needed = state.up ? rules.fall : rules.rise;
  if (streak < needed) return { state: { ...state, streak } };
  const up = !state.up;
  const run =
    streak === 1
      ? `1 ${up ? "successful" : "failed"} check`
      : `${streak} ${up ? "successful" : "failed"} checks in a row`;
  return {
    state: { up, checked: true, streak: 0 },
    transition: { up, reason: `${address} ${up ? "up" : "down"}: ${result.detail} (${run})` },
  };
}
