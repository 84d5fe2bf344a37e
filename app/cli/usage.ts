/**
 * A command line the user got wrong (an option's value, a missing file, a bad state file): the
 * CLI prints its message after `kapi-review:` and exits 2, without a stack trace. The one class
 * every command throws; main() is the one place that catches it.
 */
export class UsageError extends Error {}
