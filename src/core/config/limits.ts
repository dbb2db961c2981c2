// Every config-time limit in one place: what `vigil check` refuses because it cannot work on the wire,
// in the kernel or in the file itself. The wire format may allow more; these are the promises.

/** The largest config file read, bytes (a config of MAX_GROUPS groups is far below). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** The most YAML aliases a config file may use (an alias bomb expands exponentially). */
export const MAX_YAML_ALIASES = 100;

/** Names of the cluster, nodes, groups and virtual servers: at most this long (as a DNS label). */
export const MAX_NAME_LENGTH = 63;
/** What a name is made of: a letter or digit first, then letters, digits, '_', '.', '-'. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The most nodes with `coordination: builtin` (2–9 nodes on one LAN: every node hears every other). */
export const MAX_NODES = 9;
/** The most groups with `coordination: builtin`; the heartbeat's encoding must fit this many on MAX_NODES
 * nodes. */
export const MAX_GROUPS = 500;
/** The most nodes with `coordination: etcd` (each reads etcd every interval; bench/etcd-scale.ts). */
export const MAX_ETCD_NODES = 32;
/** The most groups with `coordination: etcd` (three keys each in etcd; bench/etcd-scale.ts). */
export const MAX_ETCD_GROUPS = 2000;
/** The most resources in one group. */
export const MAX_RESOURCES_PER_GROUP = 64;
/** The most virtual servers in a config. */
export const MAX_VIRTUAL_SERVERS = 500;
/** The most links (addresses) per node. */
export const MAX_LINKS = 4;

/** The kernel's limit on one argument or environment string, bytes with its NUL (MAX_ARG_STRLEN,
 * 32 pages of 4 KiB). */
export const MAX_ARG_BYTES = 128 * 1024;
/** What a command's arguments and its configured environment may take together, bytes: well below
 * ARG_MAX (2 MiB with the default 8 MiB stack), leaving room for the environment vigil passes on. */
export const MAX_ARGS_TOTAL_BYTES = 256 * 1024;
/** The longest path, bytes (PATH_MAX with its NUL). */
export const MAX_PATH_BYTES = 4095;

/** The OCF provider and agent names: a path segment that cannot leave the agents' directory. */
export const OCF_SEGMENT_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** The longest OCF provider or agent name. */
export const MAX_OCF_SEGMENT_LENGTH = 255;
/** OCF parameter names: they become environment variable names OCF_RESKEY_<name>. */
export const OCF_PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
