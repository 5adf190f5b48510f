/**
 * A resource the proxy cannot apply. The message becomes the NACK's `error_detail.message`
 * (`google.rpc.Status`, code 3 INVALID_ARGUMENT), so it names the resource, the field path inside it
 * (proto field names, as Envoy prints them), the bad value and what would be accepted.
 */
export class ConfigError extends Error {
  readonly code = 'PROXY_CONFIG_REJECTED';
  /**
   * @param path field path inside the resource, e.g. `virtual_hosts[0].routes[2].match.safe_regex`
   * @param detail what is wrong and what would be valid
   */
  constructor(readonly path: string, readonly detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'ConfigError';
  }

  /** The same error one level further out: `prefix.path`. */
  within(prefix: string): ConfigError {
    if (prefix === '') return this;
    return new ConfigError(this.path ? `${prefix}.${this.path}` : prefix, this.detail);
  }
}

/** Runs `f`; a ConfigError it throws gets `prefix` put in front of its path. */
export function under<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) throw e.within(prefix);
    throw e;
  }
}
