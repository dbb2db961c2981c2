// The error for problems the operator must fix before the daemon can start.

/** Thrown for problems the operator must fix before the daemon can start (config, ports, files). */
export class StartupError extends Error {}
